"""The message codec in Python: the byte format of ``js-shim/codec.js``, so that Python values
travel as frames without being converted to JavaScript objects on the way.

value := type:u8 body (little-endian):
  0 None | 1 undefined (read as None) | 2 False | 3 True | 4 int32 | 5 float64
  6 big int: sign:u8 n:u32 magnitude[n] | 7 str: n:u32 utf8[n]
  8 bytes: kind:u8 n:u32 raw[n] | 9 list: count:u32 value[count]
  10 dict: count:u32 (n:u32 utf8[n] value)[count] | 11 tuple: count:u32 value[count]

Type 11 is written by Python only (JavaScript reads it as an array). Bytes kinds 13, 14, 15 are
Python's bytes, bytearray and memoryview (JavaScript reads them as Uint8Array); the typed-array
kinds 2..11 are read as a ``memoryview`` cast to the element type, and a memoryview of such an
element type is written as that typed array.

Limits, the same in codec.js: lists, tuples and dicts nest at most ``_MAX_DEPTH`` levels, and a big
int's magnitude is at most ``_MAX_BIGINT_BYTES``; more is a TypeError on encode and a CodecError on
decode. Decoding gives a value or raises CodecError, whatever the bytes (they may come from a
hostile peer), in time linear in the length of the message.
"""

from __future__ import annotations

import struct
from typing import Any, Iterator

__all__ = ["encode", "decode", "decode_frames", "decode_batch", "encode_str_run", "CodecError"]

_MAX_DEPTH = 512
#: 16 MiB (2**27 bits): what one value may cost to decode, whatever the message's size; JavaScript
#: engines cannot hold much larger bigints anyway (V8: 2**30 bits).
_MAX_BIGINT_BYTES = 1 << 24
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1

_NONE, _UNDEFINED, _FALSE, _TRUE, _INT, _FLOAT, _BIGINT, _STR, _BYTES, _LIST, _DICT, _TUPLE = range(12)
_KIND_BYTES, _KIND_BYTEARRAY, _KIND_MEMORYVIEW = 13, 14, 15
_PLAIN_BYTES = (_KIND_BYTES, 1)  # read as bytes: Python's, and a Uint8Array
# Typed-array kinds of codec.js and the struct format of their elements.
_FORMAT_OF_KIND = {2: "b", 4: "h", 5: "H", 6: "i", 7: "I", 8: "f", 9: "d", 10: "q", 11: "Q"}
_KIND_OF_FORMAT = {f: k for k, f in _FORMAT_OF_KIND.items()}
_KIND_OF_FORMAT.update({"l": 6 if struct.calcsize("l") == 4 else 10, "L": 7 if struct.calcsize("L") == 4 else 11})

_head = struct.Struct("<BI").pack  # type byte + u32
_int = struct.Struct("<Bi").pack
_float = struct.Struct("<Bd").pack
_bytes_head = struct.Struct("<BBI").pack
_bigint_head = _bytes_head  # type, sign, length
_u32 = struct.Struct("<I")
_i32 = struct.Struct("<i")
_f64 = struct.Struct("<d")

_ACCEPTED = ("a message may hold str, bytes, bytearray, memoryview, int, float, bool, None, list, tuple and "
             "dict with str keys")


class CodecError(ValueError):
    """A received payload is not a valid message (truncated or of an unknown type)."""


def encode(value: Any) -> bytes:
    """The bytes of ``value``; TypeError naming the type and where it is for what cannot be sent."""
    t = type(value)
    if t is str:  # the common cases, without the general machinery
        b = value.encode()
        return _head(_STR, len(b)) + b
    if t is bytes:
        return _bytes_head(_BYTES, _KIND_BYTES, len(value)) + value
    out: list[bytes] = []
    try:
        try:
            _encode(value, out, 0)
        except _Unsendable:
            _check(value, "value", 0, set())  # raises the TypeError that says where
            raise TypeError(f"pywebworker cannot send this value of type {t.__name__}: {_ACCEPTED}") from None
    except RecursionError:
        # Within _MAX_DEPTH levels, but the caller was already deep in its own recursion.
        raise TypeError(f"pywebworker cannot send this value: it nests too deep for the Python stack left here "
                        f"(a message may nest {_MAX_DEPTH} levels; call from a shallower place or nest less)") from None
    return b"".join(out)


class _Unsendable(Exception):
    """Raised by the fast encoder; ``_check`` then finds what and where."""


def _encode(value: Any, out: list[bytes], depth: int) -> None:
    t = type(value)
    if t is str:
        b = value.encode()
        out.append(_head(_STR, len(b)))
        out.append(b)
    elif t is int:
        if _I32_MIN <= value <= _I32_MAX:
            out.append(_int(_INT, value))
        else:
            mag = abs(value)
            n = (mag.bit_length() + 7) // 8
            if n > _MAX_BIGINT_BYTES:
                raise _Unsendable
            out.append(_bigint_head(_BIGINT, 1 if value < 0 else 0, n))
            out.append(mag.to_bytes(n, "little"))
    elif t is float:
        out.append(_float(_FLOAT, value))
    elif value is None:
        out.append(b"\x00")
    elif t is bool:
        out.append(b"\x03" if value else b"\x02")
    elif t is dict:
        if depth >= _MAX_DEPTH:
            raise _Unsendable
        out.append(_head(_DICT, len(value)))
        for k, item in value.items():
            if type(k) is not str:
                if not isinstance(k, str):
                    raise _Unsendable
                k = str(k)
            kb = k.encode()
            out.append(_u32.pack(len(kb)))
            out.append(kb)
            _encode(item, out, depth + 1)
    elif t is list or t is tuple:
        if depth >= _MAX_DEPTH:
            raise _Unsendable
        out.append(_head(_LIST if t is list else _TUPLE, len(value)))
        for item in value:
            # str, float and small int items here, without a call: a call costs Pyodide about as
            # much as encoding the item (a list of 1,000 floats: 235 to 172 us). In a dict's loop
            # the same measured no gain.
            ti = type(item)
            if ti is str:
                b = item.encode()
                out.append(_head(_STR, len(b)))
                out.append(b)
            elif ti is float:
                out.append(_float(_FLOAT, item))
            elif ti is int and _I32_MIN <= item <= _I32_MAX:
                out.append(_int(_INT, item))
            else:
                _encode(item, out, depth + 1)
    elif t is bytes:
        out.append(_bytes_head(_BYTES, _KIND_BYTES, len(value)))
        out.append(value)
    elif t is bytearray:
        out.append(_bytes_head(_BYTES, _KIND_BYTEARRAY, len(value)))
        out.append(bytes(value))
    elif t is memoryview:
        kind = _memoryview_kind(value)
        if kind is None:
            raise _Unsendable
        b = value.tobytes()
        out.append(_bytes_head(_BYTES, kind, len(b)))
        out.append(b)
    else:
        # Subclasses of the accepted types are sent as their base type.
        for base in (bool, int, float, str, bytes, bytearray, list, tuple, dict):
            if isinstance(value, base):
                _encode(base(value), out, depth)
                return
        raise _Unsendable


def _memoryview_kind(view: memoryview) -> int | None:
    fmt = view.format.lstrip("@=<")
    if view.ndim > 1:
        return None
    return _KIND_MEMORYVIEW if fmt in ("B", "c") else _KIND_OF_FORMAT.get(fmt)


def _check(value: Any, path: str, depth: int, active: set[int]) -> None:
    """Raises TypeError naming the first value that cannot be sent and where it is."""
    if isinstance(value, (list, tuple, dict)):
        if depth >= _MAX_DEPTH or id(value) in active:
            raise TypeError(f"pywebworker cannot send this value (at {path}): it nests too deep or refers to itself")
        active.add(id(value))
        if isinstance(value, dict):
            for k, item in value.items():
                if not isinstance(k, str):
                    raise TypeError(f"pywebworker cannot send a dict with a key of type {type(k).__name__} "
                                    f"(at {path}): keys must be str")
                _check(item, f"{path}[{k!r}]", depth + 1, active)
        else:
            for i, item in enumerate(value):
                _check(item, f"{path}[{i}]", depth + 1, active)
        active.discard(id(value))
    elif isinstance(value, memoryview):
        if _memoryview_kind(value) is None:
            raise TypeError(f"pywebworker cannot send a memoryview of format {value.format!r} and {value.ndim} "
                            f"dimensions (at {path}): send bytes, or a one-dimensional memoryview of "
                            "numbers (b, B, h, H, i, I, f, d, q, Q)")
    elif isinstance(value, int) and not isinstance(value, bool) and (abs(value).bit_length() + 7) // 8 > _MAX_BIGINT_BYTES:
        raise TypeError(f"pywebworker cannot send an int of {(abs(value).bit_length() + 7) // 8} bytes (at {path}): at "
                        f"most {_MAX_BIGINT_BYTES} (send its bytes with int.to_bytes, or its digits as a str)")
    elif not (value is None or isinstance(value, (str, bytes, bytearray, bool, int, float))):
        raise TypeError(f"pywebworker cannot send a value of type {type(value).__name__} (at {path}): {_ACCEPTED}")


def decode(data: bytes | bytearray | memoryview) -> Any:
    """The value of a payload; CodecError when it is truncated, too long or malformed."""
    if type(data) is not bytes:
        data = bytes(data)
    return decode_at(data, 0, len(data))


def decode_at(data: bytes, start: int, end: int) -> Any:
    """The value of the payload ``data[start:end]``, a str or bytes read in place (a batch of
    messages is not sliced into copies); CodecError when it is truncated, too long or malformed."""
    n = end - start
    try:
        # The common cases first, with one call: a str, bytes (Python's, or a Uint8Array), a number.
        t = data[start] if n > 0 else -1
        if t == _STR and n >= 5 and _unpack_u32(data, start + 1)[0] == n - 5:
            return data[start + 5:end].decode()
        if t == _BYTES and n >= 6 and data[start + 1] in _PLAIN_BYTES and _unpack_u32(data, start + 2)[0] == n - 6:
            return data[start + 6:end]
        if t == _INT and n == 5:
            return _unpack_i32(data, start + 1)[0]
        if t == _FLOAT and n == 9:
            return _unpack_f64(data, start + 1)[0]
        if start or end != len(data):
            # _decode reads up to the end of what it is given: a bad message in a batch would read
            # on into the messages after it, each of them again (quadratic in the batch's size).
            data = data[start:end]
        value, at = _decode(data, 0, 0)
    except (struct.error, IndexError, UnicodeDecodeError, OverflowError) as e:
        raise CodecError(f"a message of {n} bytes is not valid: {e}") from None
    except RecursionError:
        raise CodecError(f"a message of {n} bytes nests too deep for the Python stack left here") from None
    if at != n:
        if at > n:
            raise CodecError(f"a message of {n} bytes is truncated (its value needs {at})")
        raise CodecError(f"a message of {n} bytes has {n - at} bytes after its value")
    return value


_unpack_u32 = _u32.unpack_from
_unpack_i32 = _i32.unpack_from
_unpack_f64 = _f64.unpack_from
_unpack_frame_str_head = struct.Struct("<IBI").unpack_from  # a frame's length, then a str's head

# The heads of frames in the batches Python hands JavaScript with one call (js-shim/frames.js):
# the page's are [len:u32] then the value; a worker's [len:u32][tag:u32] then the value. The
# senders write a str's or bytes' own head in the same call as the frame's (one call, not two:
# a call costs Pyodide about half a microsecond), so those heads are here too.
frame_len = struct.Struct("<I").pack
str_frame_head = struct.Struct("<IBI").pack
bytes_frame_head = struct.Struct("<IBBI").pack
tagged_frame_head = struct.Struct("<II").pack
tagged_str_frame_head = struct.Struct("<IIBI").pack
tagged_bytes_frame_head = struct.Struct("<IIBBI").pack


def decode_frames(data: bytes, at: int = 0, limit: int = -1) -> tuple[list[Any], int]:
    """The values of the frames of a batch (``[n:u32][payload of n bytes]...``) from offset
    ``at``, at most ``limit`` of them (-1: all), decoded with one call, and the offset after
    them. A payload that is not valid leaves a CodecError in its place (no value is one), so the
    values around it are kept; a batch cut inside a frame ends with one."""
    out: list[Any] = []
    append = out.append
    end = len(data)
    while at < end and limit != 0:
        limit -= 1
        # A str is decoded here, without a call: a call costs Pyodide about 0.5 us, a sixth of a
        # PyWorker's echo. Anything else goes to decode_at.
        start = at + 4
        try:
            n, t, m = _unpack_frame_str_head(data, at)
        except struct.error:  # the last frame holds fewer than 5 bytes
            t = m = -1
            n = _unpack_u32(data, at)[0] if end - at >= 4 else end
        at = start + n
        if at > end:
            append(CodecError(f"a batch of {end} bytes ends inside a frame of {n} bytes"))
            return out, end
        if t == _STR and m == n - 5:
            try:
                append(data[start + 5:at].decode())
                continue
            except UnicodeDecodeError:
                pass  # decode_at says so
        try:
            append(decode_at(data, start, at))
        except CodecError as e:
            append(e)
    return out, at


#: The first word of a run of short ASCII strs (js-shim/protocol.js, ``STR_RUN_MARK``), 0xFFFFFFFF: a
#: batch of frames never starts with it, as a frame that long does not fit in a batch (a frame
#: of length 0, an empty message that a raw sender can write, is an ordinary frame).
STR_RUN = b"\xff\xff\xff\xff"
_STR_RUN_MARK = _u32.unpack(STR_RUN)[0]
_run_head = struct.Struct("<II").pack


#: The fewest strs sent as a run (a few frames cost less than the calls a run takes).
STR_RUN_MIN = 4


def encode_str_run(strs: list[str]) -> bytes | None:
    """Strs to send as one run, ``[STR_RUN][count:u32]`` and their bytes with the byte 0xFF between
    two (the layout ``decode_batch`` reads), or None when one is not ASCII or they are fewer than
    ``STR_RUN_MIN``."""
    if len(strs) < STR_RUN_MIN or not "".join(strs).isascii():
        return None
    return _run_head(_STR_RUN_MARK, len(strs)) + "\xff".join(strs).encode("latin-1")


def decode_batch(data: bytes, chunk: int = 1 << 30) -> Iterator[list[Any]]:
    """The values of a batch from the worker runtime, ``chunk`` at a time (a list each): frames
    (``decode_frames``), or a run of short ASCII strs (``encode_str_run``'s layout, which the
    runtime writes from frames it has checked), all made with two calls."""
    if data[:4] != STR_RUN:
        at, end = 0, len(data)
        while at < end:
            values, at = decode_frames(data, at, chunk)
            yield values
        return
    # Each byte is one character in latin-1, so the strs are the ASCII ones that were sent.
    strs = data[8:].decode("latin-1").split("\xff")
    if len(data) < 8 or len(strs) != _unpack_u32(data, 4)[0]:
        yield [CodecError(f"a run of strs of {len(data)} bytes that does not hold as many as it says")]
        return
    for i in range(0, len(strs), chunk):
        yield strs[i : i + chunk] if i or len(strs) > chunk else strs


def _decode(data: bytes, at: int, depth: int) -> tuple[Any, int]:
    # Truncation shows as a slice shorter than asked: the end position then passes the length,
    # which `decode` reports (a count is bounded by the bytes left, as every value takes one).
    t = data[at]
    at += 1
    if t == _STR:
        end = at + 4 + _unpack_u32(data, at)[0]
        return data[at + 4:end].decode(), end
    if t == _INT:
        return _unpack_i32(data, at)[0], at + 4
    if t == _FLOAT:
        return _unpack_f64(data, at)[0], at + 8
    if t == _DICT:
        if depth >= _MAX_DEPTH:
            raise CodecError(f"a message nests deeper than {_MAX_DEPTH} levels")
        (count,) = _unpack_u32(data, at)
        at += 4
        if count > len(data) - at:
            raise CodecError(f"a dict of {count} entries cannot fit in a message of {len(data)} bytes")
        out = {}
        for _ in range(count):
            end = at + 4 + _unpack_u32(data, at)[0]
            key = data[at + 4:end].decode()
            out[key], at = _decode(data, end, depth + 1)
        return out, at
    if t == _LIST or t == _TUPLE:
        if depth >= _MAX_DEPTH:
            raise CodecError(f"a message nests deeper than {_MAX_DEPTH} levels")
        (count,) = _unpack_u32(data, at)
        at += 4
        if count > len(data) - at:
            raise CodecError(f"a list of {count} values cannot fit in a message of {len(data)} bytes")
        items = []
        append = items.append
        for _ in range(count):
            # As in _encode's list loop: the common items without a call (decoding 1,000 floats:
            # 344 to 285 us).
            vt = data[at]
            if vt == _STR:
                end = at + 5 + _unpack_u32(data, at + 1)[0]
                append(data[at + 5:end].decode())
                at = end
            elif vt == _INT:
                append(_unpack_i32(data, at + 1)[0])
                at += 5
            elif vt == _FLOAT:
                append(_unpack_f64(data, at + 1)[0])
                at += 9
            else:
                item, at = _decode(data, at, depth + 1)
                append(item)
        return (items if t == _LIST else tuple(items)), at
    if t == _NONE or t == _UNDEFINED:
        return None, at
    if t == _TRUE:
        return True, at
    if t == _FALSE:
        return False, at
    if t == _BYTES:
        kind = data[at]
        end = at + 5 + _unpack_u32(data, at + 1)[0]
        raw = data[at + 5:end]
        if kind == _KIND_BYTES or kind < 2 or kind == 3 or kind == 12:
            return raw, end
        if kind == _KIND_BYTEARRAY:
            return bytearray(raw), end
        if kind == _KIND_MEMORYVIEW:
            return memoryview(raw), end
        fmt = _FORMAT_OF_KIND.get(kind)
        if fmt is None:
            raise CodecError(f"unknown bytes kind {kind}")
        if len(raw) % struct.calcsize(fmt):
            raise CodecError(f"a typed array of {len(raw)} bytes is not whole {fmt!r} elements")
        return memoryview(raw).cast(fmt), end
    if t == _BIGINT:
        sign = data[at]
        n = _unpack_u32(data, at + 1)[0]
        if n > _MAX_BIGINT_BYTES:
            raise CodecError(f"a big int of {n} bytes (at most {_MAX_BIGINT_BYTES} are read)")
        end = at + 5 + n
        mag = int.from_bytes(data[at + 5:end], "little")
        return (-mag if sign else mag), end
    raise CodecError(f"unknown value type {t}")


#: The name under which a PyWorker's page answers its ``input()`` (js-shim/protocol.js's STDIN_CALL).
STDIN_CALL = "pywebworker:stdin"
_PREFIX = "pywebworker:"  # the names of the package's own calls begin with it


def describe_error(e: BaseException) -> dict[str, str]:
    """An exception as the other side sees it (``describeError`` in js-shim/protocol.js): its
    type's name, its message and its traceback."""
    import traceback

    stack = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return {"name": type(e).__name__, "message": str(e), "stack": stack}


def unknown_name(name: Any, names: Any, who: str) -> dict[str, str]:
    """The error result of a call of a name nobody exposed (``unknownName`` in js-shim/calls.js)."""
    import json

    known = ", ".join(json.dumps(k) for k in names if not k.startswith(_PREFIX)) or "none"  # the package's own: not listed
    return {"name": "LookupError", "message": f"no function named {json.dumps(name)} is exposed by {who}; "
            f"exposed: {known}", "stack": ""}
