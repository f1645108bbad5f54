// `page` in a JsWorker: proxies of the page's objects (page.window, page.document), used
// synchronously on the shared transport (each use is a PAGE operation the page answers from its
// event loop while this thread waits) and through `page.async` on either transport. The page's
// side is page/objects.js; the operations are laid out in protocol.js.

import { FUNCTION_CALL, FUNCTION_DROP, PAGE_DOCUMENT, PAGE_KIND, PAGE_OP, PAGE_WINDOW } from "../protocol.js";

const REF = Symbol("pywebworker page object");

/**
 * @param {{sync: (name: string, op: any[]) => any, async: (name: string, op: any[]) => Promise<any>,
 *   expose: (fns: object) => void, synchronous: () => boolean}} link
 */
export function makePage(link) {
  /** Handles the worker no longer uses, sent with its next operation. */
  let drops = [];
  const released = new Set();
  const collected = new FinalizationRegistry((handle) => {
    if (!released.delete(handle)) drops.push(handle);
  });
  // This worker's functions given to the page, and how many times each was sent.
  const functions = new Map(), functionIds = new Map(), sent = new Map();
  let nextFunction = 1;

  /** What an operation is about, in its errors. */
  function describe(path, description) {
    return `page object ${path.length ? path.map(String).join(".") : description}`;
  }

  function operation(op, ref, path, args) {
    if (released.has(ref.handle)) {
      throw new ReferenceError("this page object was released (page.release()): get it again from page.window or page.document");
    }
    const d = drops;
    drops = [];
    return [op, ref.handle, path, args.map(wrap), d];
  }

  /** Runs an operation on what is at `path` from the object of `ref`; `make` makes proxies. */
  function answer(result, op, ref, path, make) {
    if (op === PAGE_OP.LIST) return result.map((pair) => unwrap(pair, make, ref, path));
    return unwrap(result, make, ref, path);
  }

  function run(op, ref, path, args = []) {
    const result = link.sync(describe(path, ref.description), operation(op, ref, path, args));
    return answer(result, op, ref, path, proxy);
  }

  async function runAsync(op, ref, path, args = []) {
    const result = await link.async(describe(path, ref.description), operation(op, ref, path, args));
    return answer(result, op, ref, path, asyncProxy);
  }

  function wrap(v) {
    const ref = v?.[REF];
    if (ref !== undefined) {
      return ref.path.length ? [PAGE_KIND.PATH, ref.handle, ref.path] : [PAGE_KIND.OBJECT, ref.handle];
    }
    if (typeof v !== "function") return [PAGE_KIND.VALUE, v];
    let id = functionIds.get(v);
    if (id === undefined) {
      id = nextFunction++;
      functionIds.set(v, id);
      functions.set(id, v);
    }
    sent.set(id, (sent.get(id) ?? 0) + 1);
    return [PAGE_KIND.WORKER_FUNCTION, id];
  }

  /** A value from the page: itself, or a proxy (of a handle, or of a method at `path` from `ref`). */
  function unwrap([kind, x, description], make, ref, path) {
    if (kind === PAGE_KIND.VALUE) return x;
    if (x === null) return make({ handle: ref.handle, description, path, owner: ref.owner ?? ref.proxy, proxy: null }, true);
    return make({ handle: x, description, path: [], owner: null, proxy: null }, kind === PAGE_KIND.FUNCTION);
  }

  /**
   * A synchronous proxy of the page's object `ref.handle`, or of what is at `ref.path` from it
   * (a method: `ref.owner` keeps the object's proxy, and so its handle, alive).
   */
  function proxy(ref, isFunction) {
    const at = (key) => [...ref.path, key];
    const p = new Proxy(isFunction ? function () {} : {}, {
      get(_, key) {
        if (key === REF) return ref;
        if (key === "then") return undefined; // not a promise: `await` gives the proxy itself
        if (key === Symbol.iterator) return () => run(PAGE_OP.LIST, ref, ref.path)[Symbol.iterator]();
        if (key === Symbol.toPrimitive) return () => run(PAGE_OP.STR, ref, ref.path);
        if (key === Symbol.toStringTag) return `page ${ref.description}`;
        if (typeof key === "symbol") return undefined;
        return run(PAGE_OP.GET, ref, at(key));
      },
      set(_, key, value) {
        if (typeof key === "symbol") return false;
        run(PAGE_OP.SET, ref, at(key), [value]);
        return true;
      },
      deleteProperty(_, key) {
        if (typeof key !== "symbol") run(PAGE_OP.DELETE, ref, at(key));
        return true;
      },
      apply: (_, __, args) => run(PAGE_OP.CALL, ref, ref.path, args),
      construct: (_, args) => run(PAGE_OP.NEW, ref, ref.path, args),
    });
    ref.proxy = p;
    if (!ref.path.length && ref.handle > PAGE_DOCUMENT) collected.register(p, ref.handle);
    return p;
  }

  /**
   * An awaitable path from the page's object `ref.handle`: reading a property makes a longer path;
   * awaiting one reads it, calling one calls it (a promise), assigning to one sends the write.
   */
  function asyncProxy(ref) {
    const longer = (key) => asyncProxy({ ...ref, path: [...ref.path, key], owner: ref.owner ?? ref.proxy, proxy: null });
    const p = new Proxy(function () {}, {
      get(_, key) {
        if (key === REF) return ref;
        if (key === "then") {
          if (!ref.path.length) return undefined; // a page object itself: awaiting gives it
          return (resolve, reject) => runAsync(PAGE_OP.GET, ref, ref.path).then(resolve, reject);
        }
        if (key === Symbol.toStringTag) return `page ${ref.description}`;
        if (typeof key === "symbol") return undefined;
        return longer(key);
      },
      set(_, key, value) {
        if (typeof key === "symbol") return false;
        runAsync(PAGE_OP.SET, ref, [...ref.path, key], [value]).catch(reportError);
        return true;
      },
      apply: (_, __, args) => runAsync(PAGE_OP.CALL, ref, ref.path, args),
      construct: (_, args) => runAsync(PAGE_OP.NEW, ref, ref.path, args),
    });
    ref.proxy = p;
    if (!ref.path.length && ref.handle > PAGE_DOCUMENT) collected.register(p, ref.handle);
    return p;
  }

  link.expose({
    [FUNCTION_CALL](id, args) {
      const fn = functions.get(id);
      if (fn === undefined) throw new ReferenceError(`the worker's function #${id} given to the page was released`);
      // The page's objects it is given: synchronous proxies on the shared transport, else awaitable.
      return fn(...args.map((a) => unwrap(a, link.synchronous() ? proxy : asyncProxy)));
    },
    [FUNCTION_DROP](id, uses) {
      const left = (sent.get(id) ?? 0) - uses;
      if (left > 0) {
        sent.set(id, left); // sent again since: the page holds it again
        return;
      }
      functionIds.delete(functions.get(id));
      functions.delete(id);
      sent.delete(id);
    },
  });

  const root = (handle, description) => ({ handle, description, path: [], owner: null, proxy: null });
  return {
    window: proxy(root(PAGE_WINDOW, "Window"), false),
    document: proxy(root(PAGE_DOCUMENT, "HTMLDocument"), false),
    async: asyncProxy(root(PAGE_WINDOW, "Window")),
    /** Lets the page forget the object of `proxy` (using it later is an error). */
    release(p) {
      const ref = p?.[REF];
      if (ref === undefined) throw new TypeError("page.release() takes a proxy of a page object");
      if (ref.path.length || ref.handle <= PAGE_DOCUMENT || released.has(ref.handle)) return;
      released.add(ref.handle);
      drops.push(ref.handle);
    },
  };
}
