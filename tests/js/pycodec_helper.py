"""The Python side of tests/js/pycodec.test.mjs: runs the package's codec (python/pywebworker/_codec.py)
in CPython. Usage: pycodec_helper.py encode | decode (hex lines on stdin) | roundtrip | errors."""

import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from pywebworker._codec import CodecError, decode, decode_at, encode  # noqa: E402

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


main(sys.argv[1])
