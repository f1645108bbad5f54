"""The Python side of tests/faults/codec-fuzz.test.mjs: runs the package's codec
(python/pywebworker/_codec.py) in CPython against malformed and hostile input.

Usage: codec_fuzz_helper.py MODE [ARGS]; encodings written by JavaScript come on stdin as hex lines.
  fuzz COUNT SEED      decode COUNT mutated encodings (of Python's corpus and stdin's)
  batches COUNT SEED   decode COUNT mutated batches of frames (decode_frames, decode_batch)
  deep                 100,000 levels of nesting, and 512 levels with little stack left
  bigint               a 1 MiB big int: round trip, timings, the bound; stdin: JavaScript's encoding
  malformed            an empty message, invalid UTF-8, a run batch whose first frame is empty
  corpus               prints the hex of Python's corpus, one a line (for JavaScript to decode)
  batch                decodes stdin's batches (decode_batch), one JSON line each: a value's
                       repr or "CodecError"
  spread               a batch whose every frame's value reads on into the frames after it
Each mode prints one JSON line of what it measured, or fails with an AssertionError that says what
went wrong on which input.
"""

import json
import random
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from pywebworker import _codec  # noqa: E402
from pywebworker._codec import STR_RUN, CodecError, decode, decode_at, decode_batch, decode_frames, encode  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "js"))
from pycodec_helper import same  # noqa: E402  (equal and of the same types, NaN equal to NaN)

#: The longest one decode may take (generous: a malformed message is refused in microseconds).
DECODE_BOUND_S = 1.0

CORPUS = [
    None, True, False, 0, -1, 7, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 2**64, -(2**200), 2**1000 + 12345, 1.5,
    -0.0, float("nan"), float("inf"), "", "ascii", "h\u00e9llo \u6f22\u5b57 \U0001f389", "x" * 70, "\u00e9" * 40,
    b"", b"\x00\x01\xff", bytearray(b"mutable"), memoryview(b"view"), memoryview(bytes(16)).cast("d"),
    memoryview(bytes(8)).cast("h"), memoryview(bytes(16)).cast("q"), memoryview(bytes(4)).cast("b"), [], (),
    [1, "two", [3.5, None, [True, [b"deep"]]]], (1, ("a", (2.0,))), {}, {"k": "v", "n": {"m": [None, 1, 2**40]}},
    {"\u00e9t\u00e9": [1, 2, 3], "": {"": ""}}, [{"a": (1, 2)}, {"b": bytearray(b"x")}] * 3,
]
CORPUS.append(CORPUS[:])  # everything in one list
for _ in range(20):  # nested 20 deep
    CORPUS[-1] = [CORPUS[-1]] if len(CORPUS) % 2 else {"n": CORPUS[-1]}

HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x01000000, 0x00FFFFFF, _codec._MAX_BIGINT_BYTES + 1, 65536)
LENGTH_AT = {6: 2, 7: 1, 8: 2, 9: 1, 10: 1, 11: 1}  # where a type's u32 length or count starts


def mutate(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    """``data`` with one to three random edits of the kinds a corrupt or hostile writer makes."""
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(9)
        if op == 0 and b:  # flip bits
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1:  # truncate
            del b[rng.randrange(len(b) + 1):]
        elif op == 2:  # insert bytes
            p = rng.randrange(len(b) + 1)
            b[p:p] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and b:  # delete a range
            p = rng.randrange(len(b))
            del b[p:p + rng.randint(1, 8)]
        elif op == 4:  # a length or count set to a huge value, where one is (or anywhere)
            typed = [p for p in range(len(b)) if b[p] in LENGTH_AT]
            if typed and rng.random() < 0.7:
                q = rng.choice(typed)
                p = q + LENGTH_AT[b[q]]
            else:
                p = rng.randrange(len(b) + 1)
            b[p:p + 4] = struct.pack("<I", rng.choice(HUGE) if rng.random() < 0.8 else rng.randrange(1 << 32))
        elif op == 5 and b:  # a type byte (or a kind) changed
            b[rng.randrange(len(b))] = rng.randrange(16) if rng.random() < 0.8 else rng.randrange(256)
        elif op == 6:  # bytes appended
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 7:  # the head of one message and the tail of another
            other = rng.choice(corpus)
            b = b[:rng.randrange(len(b) + 1)] + other[rng.randrange(len(other) + 1):]
        elif op == 8 and b:  # a range repeated
            p = rng.randrange(len(b))
            b[p:p] = b[p:p + rng.randint(1, 16)] * rng.randint(1, 4)
    return bytes(b)



def outcome(fn, *args):
    """(value or the CodecError, seconds); any other exception propagates: that is the failure."""
    t = time.perf_counter()
    try:
        value = fn(*args)
    except CodecError as e:
        value = e
    return value, time.perf_counter() - t


def stdin_corpus() -> list[bytes]:
    return [bytes.fromhex(line) for line in sys.stdin.read().split()]


def fuzz(count: int, seed: int) -> dict:
    rng = random.Random(seed)
    corpus = [encode(v) for v in CORPUS] + stdin_corpus()
    values = errors = 0
    slowest = 0.0
    for i in range(count):
        data = mutate(rng, rng.choice(corpus), corpus)
        try:
            value, took = outcome(decode, data)
            # In place inside a batch, with other bytes around it: the same outcome.
            pad = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
            inside, took2 = outcome(decode_at, pad + data + pad[::-1] + data, len(pad), len(pad) + len(data))
        except Exception as e:
            raise AssertionError(f"mutation {i} ({data.hex()}) raised {type(e).__name__}: {e}") from None
        slowest = max(slowest, took, took2)
        assert took < DECODE_BOUND_S, f"mutation {i} ({data[:64].hex()}...) took {took:.3f} s"
        if type(value) is CodecError:
            errors += 1
            assert type(inside) is CodecError, f"mutation {i} ({data.hex()}): {inside!r:.80} read in a batch"
            continue
        values += 1
        assert same(inside, value), f"mutation {i} ({data.hex()}): {value!r:.80} alone, {inside!r:.80} in a batch"
        # What was decoded can be sent on, and comes back the same.
        assert same(decode(encode(value)), value), f"mutation {i} ({data.hex()}): {value!r:.80} does not round-trip"
    return {"count": count, "values": values, "errors": errors, "slowest_ms": round(slowest * 1000, 3)}


def frame(payload: bytes) -> bytes:
    return struct.pack("<I", len(payload)) + payload


def batches(count: int, seed: int) -> dict:
    """Batches of frames whose payloads (or the batch itself) are mutated: every frame gives its
    value or a CodecError in its place, the same as alone, and nothing else escapes."""
    rng = random.Random(seed)
    corpus = [encode(v) for v in CORPUS] + stdin_corpus()
    frames_total = slowest = 0.0
    for i in range(count):
        payloads = [rng.choice(corpus) for _ in range(rng.randint(1, 8))]
        payloads = [mutate(rng, p, corpus) if rng.random() < 0.5 else p for p in payloads]
        if rng.random() < 0.1:
            payloads[0] = b""  # an empty first message
        batch = b"".join(frame(p) for p in payloads)
        whole = rng.random() < 0.3  # the batch itself mutated: frame lengths too
        if whole:
            batch = mutate(rng, batch, corpus)
        t = time.perf_counter()
        try:
            got = [v for part in decode_batch(batch, rng.choice((1, 3, 32, 1 << 30))) for v in part]
            listed, end = decode_frames(batch)
        except Exception as e:
            raise AssertionError(f"batch {i} ({batch.hex()}) raised {type(e).__name__}: {e}") from None
        took = time.perf_counter() - t
        slowest = max(slowest, took)
        assert took < 2 * DECODE_BOUND_S, f"batch {i} of {len(batch)} bytes took {took:.3f} s"
        assert end == len(batch), f"batch {i}: decode_frames stopped at {end} of {len(batch)}"
        assert len(got) == len(listed) and all(same(a, b) or type(a) is type(b) is CodecError for a, b in zip(got, listed)), (
            f"batch {i} ({batch[:80].hex()}): decode_batch gave {got!r:.200}, decode_frames {listed!r:.200}")
        if whole:
            continue
        frames_total += len(payloads)
        assert len(got) == len(payloads), f"batch {i}: {len(payloads)} frames gave {len(got)} values"
        for p, v in zip(payloads, got):
            alone, _ = outcome(decode, p)
            assert same(v, alone) or type(v) is type(alone) is CodecError, f"batch {i}: {p.hex()} gave {v!r:.80}"
    return {"count": count, "frames": int(frames_total), "slowest_ms": round(slowest * 1000, 3)}


def deep() -> dict:
    """Nesting deeper than the limit, and the limit with little stack left."""
    out = {}
    for name, unit, leaf in (("list", b"\x09\x01\x00\x00\x00", b"\x00"), ("tuple", b"\x0b\x01\x00\x00\x00", b"\x00"),
                             ("dict", b"\x0a\x01\x00\x00\x00\x01\x00\x00\x00k", b"\x00")):
        data = unit * 100_000 + leaf
        value, took = outcome(decode, data)
        assert type(value) is CodecError and "nests deeper than 512" in str(value), f"{name}: {value!r:.100}"
        batch = frame(data) + frame(encode("after"))
        got = [v for part in decode_batch(batch) for v in part]
        assert type(got[0]) is CodecError and got[1] == "after", f"{name} in a batch: {got!r:.100}"
        out[name + "_ms"] = round(took * 1000, 3)
    # The limit itself passes; one more level fails, on both sides of the codec.
    nested = 0
    for _ in range(512):
        nested = [nested]
    assert decode(encode(nested)) == nested
    assert type(outcome(decode, b"\x09\x01\x00\x00\x00" * 513 + b"\x00")[0]) is CodecError
    for value in ([nested], {"k": nested}):
        try:
            encode(value)
        except TypeError as e:
            assert "nests too deep" in str(e), e
        else:
            raise AssertionError("513 levels were encoded")
    hundred_thousand = 0
    for _ in range(100_000):
        hundred_thousand = [hundred_thousand]
    try:
        encode(hundred_thousand)
    except TypeError as e:
        assert "nests too deep" in str(e), e
    else:
        raise AssertionError("100,000 levels were encoded")
    # With little stack left (the caller deep in its own recursion): a CodecError or a TypeError
    # that says so, never RecursionError.
    data = encode(nested)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 200)
    try:
        value, _ = outcome(decode, data)
        batch_values = [v for part in decode_batch(frame(data) + frame(encode(1))) for v in part]
        try:
            encode(nested)
        except TypeError as e:
            encoded = str(e)
        else:
            encoded = "encoded"
    finally:
        sys.setrecursionlimit(limit)
    assert type(value) is CodecError and "stack" in str(value), f"{value!r:.100}"
    assert type(batch_values[0]) is CodecError and batch_values[1] == 1, f"{batch_values!r:.100}"
    assert "stack" in encoded, encoded
    return out


def _depth() -> int:
    """How many frames the stack holds here."""
    f, n = sys._getframe(), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


def bigint() -> dict:
    """A big int of a mebibyte each way, JavaScript's encoding of one, and the bound."""
    js_encoded = bytes.fromhex(sys.stdin.read().strip())
    n = 1 << 20
    value = -int.from_bytes(bytes((i * 7 + 3) % 256 for i in range(n - 1)) + b"\x81", "little")
    t = time.perf_counter()
    data = encode(value)
    encode_s = time.perf_counter() - t
    t = time.perf_counter()
    back = decode(data)
    decode_s = time.perf_counter() - t
    assert back == value and len(data) == 6 + n
    from_js = decode(js_encoded)
    assert from_js == value, "JavaScript's encoding of the same int decodes to another"
    # The bound: the largest magnitude passes, one byte more is refused both ways.
    top = (1 << (8 * _codec._MAX_BIGINT_BYTES)) - 1
    assert decode(encode(-top)) == -top
    try:
        encode(top + 1)
    except TypeError as e:
        assert "at most" in str(e), e
    else:
        raise AssertionError("an int over the bound was encoded")
    over = struct.pack("<BBI", 6, 0, _codec._MAX_BIGINT_BYTES + 1) + bytes(_codec._MAX_BIGINT_BYTES + 1)
    refused, _ = outcome(decode, over)
    assert type(refused) is CodecError and "at most" in str(refused), refused
    return {"encode_ms": round(encode_s * 1000, 3), "decode_ms": round(decode_s * 1000, 3), "hex": data.hex()}


def malformed() -> dict:
    """An empty message; invalid UTF-8 wherever text is; a batch whose first frame is empty."""
    assert type(outcome(decode, b"")[0]) is CodecError
    bad_utf8 = [b"\x80", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe6\xbc", b"\xf4\x90\x80\x80", b"ok\xfe" + b"x" * 80]
    cases = 0
    for raw in bad_utf8:
        for data in (struct.pack("<BI", 7, len(raw)) + raw,  # a str
                     struct.pack("<BII", 10, 1, len(raw)) + raw + b"\x00",  # a dict's key
                     struct.pack("<BIBI", 9, 1, 7, len(raw)) + raw):  # a str in a list
            value, _ = outcome(decode, data)
            assert type(value) is CodecError, f"{data.hex()} gave {value!r}"
            got = [v for part in decode_batch(frame(encode("a")) + frame(data) + frame(encode("b"))) for v in part]
            assert got[0] == "a" and type(got[1]) is CodecError and got[2] == "b", f"{data.hex()} in a batch: {got!r}"
            cases += 1
    # An empty first frame is one bad message, not a run: the messages after it arrive.
    strs = ["a", "bc", "", "d", "e"]
    batch = frame(b"") + b"".join(frame(encode(s)) for s in strs)
    got = [v for part in decode_batch(batch) for v in part]
    assert type(got[0]) is CodecError and got[1:] == strs, f"{got!r}"
    # Also when the batch is only that frame, or empty ones around strs.
    got = [v for part in decode_batch(frame(b"")) for v in part]
    assert len(got) == 1 and type(got[0]) is CodecError, got
    got = [v for part in decode_batch(frame(b"") + frame(encode("x")) + frame(b"")) for v in part]
    assert type(got[0]) is CodecError and got[1] == "x" and type(got[2]) is CodecError, got
    run = _codec.encode_str_run(strs)
    assert run[:4] == STR_RUN == b"\xff\xff\xff\xff" and [v for part in decode_batch(run) for v in part] == strs
    return {"utf8_cases": cases}


def spread() -> dict:
    """A batch of a mebibyte whose every message is a list that would read on through the frames
    after it: each frame is read within its own bytes, so the batch takes linear time."""
    k = (1 << 20) // 9
    # Each payload: a list whose count is the frames after it; each following frame's 9 bytes
    # ([5,0,0,0] then [9, count]) read as one float64 (type 5).
    batch = b"".join(frame(struct.pack("<BI", 9, k - i - 1)) for i in range(k))
    t = time.perf_counter()
    got, end = decode_frames(batch)
    took = time.perf_counter() - t
    assert end == len(batch) and len(got) == k
    assert all(type(v) is CodecError for v in got[:-1]) and got[-1] == [], got[-3:]
    return {"bytes": len(batch), "frames": k, "ms": round(took * 1000, 3)}


def main() -> None:
    mode = sys.argv[1]
    if mode == "corpus":
        print("\n".join(encode(v).hex() for v in CORPUS))
        return
    if mode == "batch":
        for line in stdin_corpus():
            print(json.dumps(["CodecError" if type(v) is CodecError else repr(v) for p in decode_batch(line) for v in p]))
        return
    if mode == "fuzz":
        result = fuzz(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "batches":
        result = batches(int(sys.argv[2]), int(sys.argv[3]))
    else:
        result = {"deep": deep, "bigint": bigint, "malformed": malformed, "spread": spread}[mode]()
    print(json.dumps(result))


main()
