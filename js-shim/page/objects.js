// The page's objects as one worker sees them: the handles it holds (proxies in the worker, of
// objects the codec cannot carry: the window, DOM nodes, functions...), the operations it runs on
// them (PAGE frames, laid out in protocol.js), and the worker's functions it handed the page.

import { FUNCTION_CALL, FUNCTION_DROP, PAGE_DOCUMENT, PAGE_KIND, PAGE_OP, PAGE_WINDOW } from "../protocol.js";

/** How deep a value is looked into to tell whether the codec carries it whole. */
const MAX_DEPTH = 64;

/** True for a value the codec carries (primitives, bytes, and arrays and plain objects of them). */
export function carried(v, depth = 0) {
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === "boolean" || t === "number" || t === "string" || t === "bigint") return true;
  if (t !== "object" || depth > MAX_DEPTH) return false;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!carried(v[i], depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  // Namespaces like JSON and Math are plain objects of methods, which are not enumerable.
  if (Symbol.toStringTag in v) return false;
  for (const key in v) if (!carried(v[key], depth + 1)) return false;
  return true;
}

/** A few words on an object for the worker's `repr()`: its constructor's or function's name. */
function description(v) {
  try {
    if (typeof v === "function") return v.name ? `function ${v.name}` : "function";
    return v?.constructor?.name || "Object";
  } catch {
    return "Object";
  }
}

/** What a value is, in an error: "a string", "undefined", "a HTMLDivElement"... */
function kindOf(v) {
  if (v === null || v === undefined) return String(v);
  return typeof v === "object" ? `a ${description(v)}` : `a ${typeof v}`;
}

export class PageObjects {
  /** @param {import("./calls.js").PageCalls} calls */
  constructor(calls) {
    this.calls = calls;
    /** @type {Map<number, any>} */
    this.handles = new Map([[PAGE_WINDOW, globalThis], [PAGE_DOCUMENT, globalThis.document]]);
    /** The `this` of a method read as a property, by the method's handle. */
    this.thisOf = new Map();
    this.next = PAGE_DOCUMENT + 1;
    /** The worker's functions given to the page: id -> WeakRef of the page's function. */
    this.functions = new Map();
    /** How many times each of them arrived since the page last told the worker it let it go. */
    this.uses = new Map();
    this.collected = new FinalizationRegistry((id) => this.collectedFunction(id));
  }

  /** Runs one PAGE operation; returns its answer's value (a PAGE_KIND pair), or throws. */
  async run(value) {
    if (!Array.isArray(value) || value.length !== 5) throw new TypeError("a page operation is [op, handle, path, args, drops]");
    const [op, handle, path, args, drops] = value;
    for (const h of drops) this.drop(h);
    let target = this.object(handle), self = this.thisOf.get(handle);
    const last = path.length - 1;
    for (let i = 0; i < last; i++) target = this.step(target, path, i);
    if (op === PAGE_OP.SET) {
      if (last < 0) throw new TypeError("a page object cannot be assigned to: assign to one of its properties");
      target[path[last]] = this.unwrap(args[0]);
      return [PAGE_KIND.VALUE, null];
    }
    if (op === PAGE_OP.DELETE) {
      if (last < 0) throw new TypeError("a page object cannot be deleted: delete one of its properties");
      delete target[path[last]];
      return [PAGE_KIND.VALUE, null];
    }
    if (last >= 0) {
      self = target;
      target = this.step(target, path, last);
    }
    switch (op) {
      case PAGE_OP.GET:
        // A method read from an object: called later by its path, it needs no handle.
        if (typeof target === "function" && last >= 0) return [PAGE_KIND.FUNCTION, null, description(target)];
        return this.wrap(target, self);
      case PAGE_OP.CALL:
        if (typeof target !== "function") throw new TypeError(`${this.name(path)} is ${kindOf(target)}, not a function`);
        return this.wrap(await Reflect.apply(target, self, args.map((a) => this.unwrap(a))));
      case PAGE_OP.NEW:
        if (typeof target !== "function") throw new TypeError(`${this.name(path)} is ${kindOf(target)}, not a constructor`);
        return this.wrap(Reflect.construct(target, args.map((a) => this.unwrap(a))));
      case PAGE_OP.LIST: // the elements' pairs
        return Array.from(target, (v) => this.wrap(v));
      case PAGE_OP.STR:
        return [PAGE_KIND.VALUE, String(target)];
      default:
        throw new TypeError(`unknown page operation ${op}`);
    }
  }

  name(path) {
    return path.length ? path.map(String).join(".") : "this object";
  }

  /** `target[path[i]]`, with an error that names the key when `target` has no properties. */
  step(target, path, i) {
    if (target === null || target === undefined) {
      throw new TypeError(`cannot read ${JSON.stringify(path[i])} of ${target}` +
        (i ? ` (${path.slice(0, i).map(String).join(".")} is ${target})` : ""));
    }
    return target[path[i]];
  }

  /** The object a handle stands for; a released one is an error that says so. */
  object(handle) {
    if (this.handles.has(handle)) return this.handles.get(handle);
    throw new ReferenceError(`page object #${handle} was released (release() or the proxy was dropped): get it again from page.window or page.document`);
  }

  /** A value for the worker: itself if the codec carries it, else a handle of it (`self`: the
   * object a function was read from, its `this` when it is called). */
  wrap(v, self) {
    if (carried(v)) return [PAGE_KIND.VALUE, v];
    const handle = this.next++;
    this.handles.set(handle, v);
    const isFunction = typeof v === "function";
    if (isFunction && self !== undefined) this.thisOf.set(handle, self);
    return [isFunction ? PAGE_KIND.FUNCTION : PAGE_KIND.OBJECT, handle, description(v)];
  }

  /** A value from the worker: itself, the page's object of a handle, or a worker's function. */
  unwrap(pair) {
    const [kind, x] = pair;
    if (kind === PAGE_KIND.VALUE) return x;
    if (kind === PAGE_KIND.OBJECT || kind === PAGE_KIND.FUNCTION) return this.object(x);
    if (kind === PAGE_KIND.WORKER_FUNCTION) return this.workerFunction(x);
    if (kind === PAGE_KIND.PATH) {
      let v = this.object(x);
      for (let i = 0; i < pair[2].length; i++) v = this.step(v, pair[2], i);
      return v;
    }
    throw new TypeError(`unknown kind of value ${kind} in a page operation`);
  }

  drop(handle) {
    if (handle <= PAGE_DOCUMENT) return;
    this.handles.delete(handle);
    this.thisOf.delete(handle);
  }

  /**
   * The page's function that calls the worker's function `id`: the same one while the page holds
   * it (so removeEventListener finds what addEventListener was given). It returns a promise of
   * the worker function's result; what the worker function raises is reported on the page.
   */
  workerFunction(id) {
    this.uses.set(id, (this.uses.get(id) ?? 0) + 1);
    const known = this.functions.get(id)?.deref();
    if (known) return known;
    const calls = this.calls;
    const fn = (...args) => {
      const result = calls.call(FUNCTION_CALL, [id, args.map((a) => this.wrap(a))]);
      result.catch((e) => {
        if (!calls.ch._dead()) reportError(e);
      });
      return result;
    };
    this.functions.set(id, new WeakRef(fn));
    this.collected.register(fn, id);
    return fn;
  }

  /**
   * The page let go of its function of the worker's function `id`: the worker may forget it once
   * it has sent it no more times than the page saw (it counts; another may be on its way).
   */
  collectedFunction(id) {
    if (this.functions.get(id)?.deref() !== undefined) return; // made again since
    const uses = this.uses.get(id) ?? 0;
    this.functions.delete(id);
    this.uses.delete(id);
    if (!this.calls.ch._dead()) this.calls.call(FUNCTION_DROP, [id, uses]).catch(() => {});
  }

  /** The worker ended: its handles and functions are let go. */
  clear() {
    this.handles.clear();
    this.thisOf.clear();
    this.functions.clear();
    this.uses.clear();
  }
}
