"""``page`` inside a PyWorker: proxies of the page's objects (``page.window``, ``page.document``).

On the shared transport each use is one operation the page answers from its event loop while
this worker waits (``page.document.title``); ``page.async_`` is the awaitable form, on either
transport (``await page.async_.document.title``). The page's side is js-shim/page/objects.js; the
operations are laid out in js-shim/protocol.js (PAGE_OP, PAGE_KIND).
"""

from __future__ import annotations

import sys
from typing import Any, Awaitable, Callable, Iterator

from ._codec import decode, encode

# The operations and the kinds of values of js-shim/protocol.js (PAGE_OP, PAGE_KIND).
_GET, _SET, _CALL, _NEW, _LIST, _DELETE, _STR = range(7)
_VALUE, _OBJECT, _FUNCTION, _WORKER_FUNCTION, _PATH = range(5)
_WINDOW, _DOCUMENT = 0, 1
#: The names under which the page calls a function it was given, and lets it go (protocol.js).
FUNCTION_CALL, FUNCTION_DROP = "pywebworker:function", "pywebworker:function-drop"

Sync = Callable[[str, bytes], bytes]
Begin = Callable[[str, bytes], Any]
End = Callable[[Any], Awaitable[bytes]]


class PageObjectReleased(ReferenceError):
    """A proxy of a page object was used after ``release()``."""


class Page:
    """The page, from this worker: ``window`` and ``document`` (synchronous proxies, shared
    transport), ``async_`` (the awaitable form of ``window``), ``release(proxy)``."""

    def __init__(self, sync: Sync, begin: Begin, end: End, exposed: dict[str, Callable[..., Any]],
                 synchronous: bool) -> None:
        self._sync = sync
        # What the page's objects given to this worker's functions are: synchronous proxies on the
        # shared transport, awaitable ones on postMessage.
        self._arguments = PageProxy if synchronous else AsyncPageProxy
        self._begin = begin  # sends an operation now; gives what ``end`` awaits
        self._end = end
        self._drops: list[int] = []
        self._functions: dict[int, Callable[..., Any]] = {}
        self._function_ids: dict[int, int] = {}  # id(fn) -> its number (fn is kept in _functions)
        self._sent: dict[int, int] = {}
        self._next_function = 1
        exposed[FUNCTION_CALL] = self._call_function
        exposed[FUNCTION_DROP] = self._drop_function
        self.window = PageProxy(self, _WINDOW, "Window")
        self.document = PageProxy(self, _DOCUMENT, "HTMLDocument")
        self.async_ = AsyncPageProxy(self, _WINDOW, "Window")

    def release(self, proxy: Any) -> None:
        """Lets the page forget ``proxy``'s object (a later use raises ``PageObjectReleased``).
        Dropping the last reference to a proxy does the same."""
        if not isinstance(proxy, (PageProxy, AsyncPageProxy)):
            raise TypeError(f"page.release() takes a proxy of a page object, not {type(proxy).__name__}")
        proxy.release()

    # ---- Operations --------------------------------------------------------------------------

    def _operation(self, op: int, handle: int, path: Any, args: Any) -> bytes:
        wrapped = [self._wrap(a) for a in args]
        drops, self._drops = self._drops, []
        return encode([op, handle, list(path), wrapped, drops])

    def _run(self, op: int, proxy: Any, path: Any, args: Any = ()) -> Any:
        body = self._operation(op, proxy._live(), path, args)
        return self._answer(decode(self._sync(_describe(path, proxy), body)), op, proxy, path, PageProxy)

    def _run_async(self, op: int, proxy: Any, path: Any, args: Any = ()) -> Awaitable[Any]:
        """Sends the operation now (so operations reach the page in the order they are made, awaited
        or not); returns the awaitable of its answer."""
        body = self._operation(op, proxy._live(), path, args)
        return self._answered(self._begin(_describe(path, proxy), body), op, proxy, path)

    async def _answered(self, pending: Any, op: int, proxy: Any, path: Any) -> Any:
        return self._answer(decode(await self._end(pending)), op, proxy, path, AsyncPageProxy)

    def _answer(self, result: Any, op: int, proxy: Any, path: Any, make: Any) -> Any:
        if op == _LIST:
            return [self._unwrap(pair, make, proxy, path) for pair in result]
        return self._unwrap(result, make, proxy, path)

    def _wrap(self, value: Any) -> list[Any]:
        if isinstance(value, (PageProxy, AsyncPageProxy)):
            handle = value._live()
            return [_PATH, handle, list(value._path)] if value._path else [_OBJECT, handle]
        if callable(value):
            key = id(value)
            number = self._function_ids.get(key)
            if number is None:
                number = self._next_function
                self._next_function += 1
                self._function_ids[key] = number
                self._functions[number] = value
            self._sent[number] = self._sent.get(number, 0) + 1
            return [_WORKER_FUNCTION, number]
        return [_VALUE, value]

    def _unwrap(self, pair: Any, make: Any, proxy: Any = None, path: Any = ()) -> Any:
        """A value from the page: itself, or a proxy (of a handle, or of a method at ``path`` from
        ``proxy``'s object, which the new proxy keeps alive)."""
        kind, x = pair[0], pair[1]
        if kind == _VALUE:
            return x
        if x is None:
            return make(self, proxy._handle, pair[2], tuple(path), proxy._owner or proxy)
        return make(self, x, pair[2], ())

    def _drop(self, handle: int) -> None:
        self._drops.append(handle)

    # ---- This worker's functions, called by the page ---------------------------------------------

    def _call_function(self, number: int, args: list[Any]) -> Any:
        fn = self._functions.get(number)
        if fn is None:
            raise ReferenceError(f"the worker's function #{number} given to the page was released")
        return fn(*(self._unwrap(a, self._arguments) for a in args))

    def _drop_function(self, number: int, uses: int) -> None:
        left = self._sent.get(number, 0) - uses
        if left > 0:
            self._sent[number] = left  # sent again since: the page holds it again
            return
        fn = self._functions.pop(number, None)
        self._function_ids.pop(id(fn), None)
        self._sent.pop(number, None)


def _describe(path: Any, proxy: Any) -> str:
    return "page object " + (".".join(map(str, path)) or proxy._description)


class PageProxy:
    """A page object that the codec cannot carry (a DOM node, a function, ``window``...), used
    synchronously: attributes, items, calls, ``new(...)``, ``len()``, iteration, ``str()``. A
    method read from an object is a proxy of its path from the object (no handle of its own)."""

    __slots__ = ("_page", "_handle", "_description", "_path", "_owner", "_released", "__weakref__")

    def __init__(self, page: Page, handle: int, description: str, path: tuple[Any, ...] = (),
                 owner: PageProxy | None = None) -> None:
        object.__setattr__(self, "_page", page)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_description", description)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_owner", owner)  # keeps the object alive while a method of it is
        object.__setattr__(self, "_released", False)

    def _live(self) -> int:
        if (self._owner or self)._released:
            raise PageObjectReleased(f"this proxy of the page's {self._description} was released: get it again "
                                     "from page.window or page.document")
        return self._handle

    def _op(self, op: int, key: Any = None, args: Any = ()) -> Any:
        path = self._path if key is None else self._path + (key,)
        return self._page._run(op, self, path, args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # Python's own protocols (copy, pickle...) are not the page's
        return self._op(_GET, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._op(_SET, name, (value,))

    def __delattr__(self, name: str) -> None:
        self._op(_DELETE, name)

    def __getitem__(self, key: str | int) -> Any:
        return self._op(_GET, _key(key))

    def __setitem__(self, key: str | int, value: Any) -> None:
        self._op(_SET, _key(key), (value,))

    def __delitem__(self, key: str | int) -> None:
        self._op(_DELETE, _key(key))

    def __call__(self, *args: Any) -> Any:
        return self._op(_CALL, None, args)

    def new(self, *args: Any) -> Any:
        """``new`` of this constructor (``page.window.Date.new(0)``)."""
        return self._op(_NEW, None, args)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._op(_LIST))

    def __len__(self) -> int:
        n = self._op(_GET, "length")
        if not isinstance(n, int):
            raise TypeError(f"the page's {self._description} has no length")
        return n

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return str(self._op(_STR))

    def __repr__(self) -> str:
        state = " (released)" if self._released else ""
        return f"<page {self._description}{state}>"

    def release(self) -> None:
        """Lets the page forget this object; using the proxy again raises ``PageObjectReleased``."""
        if self._path or self._handle <= _DOCUMENT or self._released:
            return
        object.__setattr__(self, "_released", True)
        self._page._drop(self._handle)

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:  # at interpreter exit: nothing to release any more
            pass


class AsyncPageProxy:
    """The awaitable form: reading an attribute or item makes a longer path (nothing is sent);
    ``await`` reads it; calling it (or ``.new(...)``, ``.list()``) sends the call at once and gives
    the awaitable of its answer; assigning to an attribute sends the write. Operations reach the
    page in the order they are made."""

    __slots__ = ("_page", "_handle", "_description", "_path", "_owner", "_released", "__weakref__")

    __init__ = PageProxy.__init__
    _live = PageProxy._live
    release = PageProxy.release
    __del__ = PageProxy.__del__

    def _longer(self, key: Any) -> AsyncPageProxy:
        return AsyncPageProxy(self._page, self._handle, self._description, self._path + (key,), self._owner or self)

    def __getattr__(self, name: str) -> AsyncPageProxy:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._longer(name)

    def __getitem__(self, key: str | int) -> AsyncPageProxy:
        return self._longer(_key(key))

    def __setattr__(self, name: str, value: Any) -> None:
        import asyncio

        task = asyncio.ensure_future(self._page._run_async(_SET, self, self._path + (name,), (value,)))
        task.add_done_callback(_report)  # sent already: the task only hears how it went

    def __await__(self) -> Any:
        if not self._path:
            return _itself(self).__await__()
        return self._page._run_async(_GET, self, self._path).__await__()

    def __call__(self, *args: Any) -> Awaitable[Any]:
        return self._page._run_async(_CALL, self, self._path, args)

    def new(self, *args: Any) -> Awaitable[Any]:
        """An awaitable of ``new`` of this constructor (``await page.async_.Date.new(0)``)."""
        return self._page._run_async(_NEW, self, self._path, args)

    def list(self) -> Awaitable[Any]:
        """An awaitable of the elements of this array-like or iterable object (``Array.from``)."""
        return self._page._run_async(_LIST, self, self._path)

    def __repr__(self) -> str:
        path = "".join(f".{k}" for k in self._path)
        return f"<page {self._description}{path} (awaitable)>"


async def _itself(proxy: AsyncPageProxy) -> AsyncPageProxy:
    return proxy


def _report(task: Any) -> None:
    if not task.cancelled() and task.exception() is not None:
        e = task.exception()
        print(f"pywebworker: an assignment through page.async_ failed: {type(e).__name__}: {e}", file=sys.stderr)


def _key(key: Any) -> str | int:
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TypeError(f"a page object's key is a str or an int, not {type(key).__name__}")
    return key
