"""The Python side of tests/js/pycodec.test.mjs: runs the package's codec (python/pywebworker/_codec.py)
in CPython. Usage: pycodec_helper.py encode | decode (hex lines on stdin) | roundtrip | errors | frames
| replies | agree."""

import json
import math
import struct
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from pywebworker._codec import CodecError, decode, decode_at, decode_frames, encode  # noqa: E402

# Values whose bytes JavaScript decodes (keys match tests/js/pycodec.test.mjs).
SAMPLES = {
    "none": None, "false": False, "true": True, "zero": 0, "i32max": 2**31 - 1, "i32min": -(2**31),
    "big": 2**31, "bigneg": -(2**100), "float": 1.0, "pi": 3.25, "str": "héllo 漢字 🎉", "empty": "",
    "bytes": b"\x00\x01\xff", "bytearray": bytearray(b"ab"), "memoryview": memoryview(b"xyz"),
    "doubles": memoryview(bytes(16)).cast("d"), "list": [1, "two", [3.5, None]], "tuple": (1, 2),
    "dict": {"a": 1, "b": {"c": [True]}},
}

ROUND_TRIP = [
    None, True, False, 0, -1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**64, -(2**200), 10**50, 1.0, -0.0, 1.5,
    float("inf"), 1e308, "", "ascii", "é ü 漢字 🎉", "x" * 100_000, b"", b"\x00" * 3, bytes(range(256)),
    bytearray(b"mutable"), [], [1, [2, [3]]], (), (1, "a", (2,)), {}, {"k": [1, {"n": None}], "": 0},
    [b"a", bytearray(b"b"), {"t": (1.0, 2)}],
]


# Values both codecs can write, with the same bytes (keys match tests/js/pycodec.test.mjs's AGREE).
_typed = lambda fmt, *xs: memoryview(struct.pack("<" + fmt * len(xs), *xs)).cast(fmt)  # noqa: E731
AGREE = {
    "none": None, "false": False, "true": True, "int": 7, "neg": -1, "i32max": 2**31 - 1, "i32min": -(2**31),
    "big31": 2**31, "bigneg": -(2**100), "u64max": 2**64 - 1, "big": 3**500, "float": 1.5, "negzero": -0.0,
    "inf": float("inf"), "tiny": 5e-324, "empty": "", "ascii": "ascii", "unicode": "h\u00e9llo \u6f22\u5b57 \U0001f389",
    "long": "x" * 100, "accents": "\u00e9" * 40, "int8": _typed("b", -1, 2), "int16": _typed("h", -3, 4),
    "uint16": _typed("H", 65535), "int32": _typed("i", -5), "uint32": _typed("I", 7, 8), "float32": _typed("f", 1.5),
    "float64": _typed("d", 2.5, -0.0), "int64": _typed("q", -5), "uint64": _typed("Q", 2**64 - 1), "list": [1, "two", [3.5, None]],
    "emptylist": [], "dict": {"a": 1, "\u00e9": {"c": [True]}, "": None}, "emptydict": {},
}


def same(a, b):
    """Equal and of the same types, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, memoryview):
        return a.format == b.format and a.tobytes() == b.tobytes()
    return a == b


def main(mode):
    if mode == "encode":
        print(json.dumps({k: encode(v).hex() for k, v in SAMPLES.items()}))
    elif mode == "decode":
        for line in sys.stdin.read().split():
            v = decode(bytes.fromhex(line))
            print(repr(v.tolist() if isinstance(v, memoryview) and v.format != "B" else v))
    elif mode == "roundtrip":
        for v in ROUND_TRIP + [memoryview(b"mv"), memoryview(bytes(24)).cast("d"), memoryview(bytes(8)).cast("h"),
                               float("nan")]:
            back = decode(encode(v))
            assert same(back, v), f"{v!r:.60} came back as {back!r:.60}"
        print(f"ok {len(ROUND_TRIP) + 4}")
    elif mode == "errors":
        cyclic = []
        cyclic.append(cyclic)
        for value, text in [({1, 2}, "type set (at value)"), ({"a": [1, object()]}, "type object (at value['a'][1])"),
                            ({1: 2}, "key of type int"), (cyclic, "refers to itself"), (1j, "type complex"),
                            (memoryview(bytes(8)).cast("B", (2, 4)), "2 dimensions")]:
            try:
                encode(value)
            except TypeError as e:
                assert text in str(e), f"{text!r} not in {e}"
            else:
                raise AssertionError(f"{value!r} was encoded")
        # A nested value, and the str and bytes that decode_at reads on its shortest path.
        for good in (encode([1, "two", {"x": b"bytes"}, 2**70, 2.5]), encode("h\u00e9llo w\u00f6rld"), encode(b"some bytes")):
            for n in range(len(good)):
                try:
                    decode(good[:n])
                except CodecError:
                    pass
                else:
                    raise AssertionError(f"a truncation to {n} bytes decoded")
            # In a batch, a value is read in place between offsets: a truncated one is an error even
            # when the bytes after it (the next message) would complete it, and so is one with a byte
            # of the next message after it.
            batch = b"??" + good + good
            assert same(decode_at(batch, 2, 2 + len(good)), decode(good))
            assert same(decode_at(batch, 2 + len(good), len(batch)), decode(good))
            for n in list(range(len(good))) + [len(good) + 1]:
                try:
                    decode_at(batch, 2, 2 + n)
                except CodecError:
                    pass
                else:
                    raise AssertionError(f"a value cut to {n} of its {len(good)} bytes inside a batch decoded")
        for bad in [b"\x63", good + b"\x00", b"\x07\x02\x00\x00\x00\xff\xfe", b"\x08\x63\x00\x00\x00\x00"]:
            try:
                decode(bad)
            except CodecError:
                pass
            else:
                raise AssertionError(f"{bad!r} decoded")
        print("ok")
    elif mode == "frames":
        frame = lambda payload: struct.pack("<I", len(payload)) + payload  # noqa: E731
        values = ROUND_TRIP + ["x", "", None, True]  # short frames (1-5 bytes) at the end too
        batch = b"".join(frame(encode(v)) for v in values)
        got, end = decode_frames(batch)
        assert end == len(batch) and len(got) == len(values) and all(same(a, b) for a, b in zip(got, values)), got
        # A few at a time, from where the last call ended.
        got, at = [], 0
        while at < len(batch):
            part, at = decode_frames(batch, at, 3)
            assert 0 < len(part) <= 3, part
            got += part
        assert len(got) == len(values) and all(same(a, b) for a, b in zip(got, values)), got
        # A payload that is not valid leaves a CodecError in its place and the others are kept: bad
        # UTF-8 in a str, a str whose length disagrees with its frame's, an unknown type.
        for bad in (b"\x07\x02\x00\x00\x00\xff\xfe", b"\x07\x03\x00\x00\x00ab", b"\x07\x01\x00\x00\x00ab",
                    b"\x63", b""):
            got = decode_frames(frame(encode("before")) + frame(bad) + frame(encode("after")))[0]
            assert got[0] == "before" and type(got[1]) is CodecError and got[2] == "after", (bad, got)
        # A batch cut anywhere inside its last frame ends with a CodecError after the whole ones.
        last = frame(encode("the last message"))
        for n in range(1, len(last)):
            got = decode_frames(frame(encode(1)) + last[:n])[0]
            assert got[0] == 1 and len(got) == 2 and type(got[1]) is CodecError, (n, got)
        print("ok")
    elif mode == "batches":
        # Batches written by js-shim/protocol.js's Scratch.takeStrs: each decodes whole and in
        # chunks of 2 to the same values; a run whose counts do not fit its bytes is a CodecError.
        from pywebworker._codec import decode_batch
        for line in sys.stdin.read().split("\n"):
            name, layout, hexed = line.split(" ")
            data = bytes.fromhex(hexed)
            whole = [v for part in decode_batch(data) for v in part]
            assert [v for part in decode_batch(data, 2) for v in part] == whole, name
            shown = json.dumps([len(v) for v in whole], separators=(",", ":")) if name in ("run", "long") else repr(whole)
            print(name, layout, shown)
        from pywebworker._codec import STR_RUN
        run = lambda count, text: STR_RUN + struct.pack("<I", count) + text
        assert [v for p in decode_batch(run(3, b"a\xffbc\xff")) for v in p] == ["a", "bc", ""]
        for bad in (run(2, b"abc"), run(2, b"a\xffb\xffc"), run(0, b""), STR_RUN + b"\x01"):
            got = [v for p in decode_batch(bad) for v in p]
            assert len(got) == 1 and type(got[0]) is CodecError, (bad, got)
        print("ok")
    elif mode == "agree":
        from pywebworker import _codec
        print(json.dumps({"str_run": _codec.STR_RUN.hex(), "max_depth": _codec._MAX_DEPTH,
                          "max_bigint_bytes": _codec._MAX_BIGINT_BYTES,
                          "encodings": {k: encode(v).hex() for k, v in AGREE.items()}}))
    elif mode == "run":
        from pywebworker._codec import encode_str_run
        print(encode_str_run(["a", "", "bc", "x" * 255]).hex())
    elif mode == "replies":
        # inside.send's str and bytes frames, written without encode() while a batch runs, are the
        # bytes encode() writes, in order with the rest. Only the framing in Python is under test:
        # the worker runtime's module records what it is given, and bytes stay bytes.
        sent = []
        sys.modules["_pywebworker_channel"] = types.SimpleNamespace(
            transport="shared", forward_stdout=False, forward_stderr=False,
            send=lambda tag, data: sent.append(bytes(data)), send_batch=lambda data, urgent: sent.append(bytes(data)))
        sys.modules["pywebworker._ffi"] = types.SimpleNamespace(js_bytes=bytes)
        from pywebworker import inside
        replies = ["ascii", "h\u00e9llo \U0001f389", "", b"", b"\x00\xff" * 300, 7, ["a"], None]
        main_module = sys.modules["__main__"]
        main_module.onmessage = lambda value: [inside.send(r) for r in replies] if value == "go" else 1 / 0
        batch = types.SimpleNamespace(to_bytes=lambda: b"".join(
            struct.pack("<I", len(p)) + p for p in (encode("go"), encode("fail"), encode("go"))))
        inside._dispatch_batch(batch, False)
        # One call, or a few if the batch took more than 0.2 ms; short ASCII strs may come as a
        # run of strs (their frames are what encode() writes, as the worker runtime writes them).
        from pywebworker._codec import STR_RUN, decode_batch
        frames = []
        for data in sent:
            if data[:4] == STR_RUN:
                frames += [(0, encode(v)) for part in decode_batch(data) for v in part]
                continue
            at = 0
            while at < len(data):
                n, tag = struct.unpack_from("<II", data, at)
                frames.append((tag, data[at + 8:at + 8 + n]))
                at += 8 + n
        want = [(0, encode(r)) for r in replies]
        assert frames[:len(replies)] == want and frames[len(replies) + 1:] == want, f"{frames!r:.600}"
        tag, error = frames[len(replies)]
        assert tag == 1 and decode(error)["name"] == "ZeroDivisionError", frames[len(replies)]
        # Only short ASCII strs: one run; a non-ASCII one among them, or fewer than four: frames.
        for strs, run in ((["a", "bc", "", "d"], True), (["a", "\u00e9", "b", "c"], False), (["a", "b", "c"], False)):
            sent.clear()
            main_module.onmessage = lambda value: [inside.send(r) for r in strs]
            inside._dispatch_batch(types.SimpleNamespace(to_bytes=lambda: struct.pack("<I", 5) + encode(0)), False)
            assert (sent[0][:4] == STR_RUN) is run, sent
            if run:
                assert [v for part in decode_batch(sent[0]) for v in part] == strs, sent
            else:
                assert sent[0] == b"".join(struct.pack("<II", len(encode(x)), 0) + encode(x) for x in strs), sent
        print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
