"""How a worker's ``send_message`` sends: the first message of a burst (the messages sent in one
run of the page's code) leaves at once, the rest are gathered into frames and leave with one call
at the end of the burst, or in parts on the shared transport. ``Sending`` is a part of
``JsWorker`` (``worker.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsException  # type: ignore[import-not-found]

from ._codec import _BYTES, _KIND_BYTES, _STR, encode, encode_str_run
from ._codec import bytes_frame_head as _bytes_frame_head
from ._codec import frame_len as _len_prefix
from ._codec import str_frame_head as _str_frame_head
from ._errors import translate as _translate
from ._ffi import js_bytes

# On the shared transport a burst of send_message calls leaves in parts of this many frames (two
# list entries each), or at once after a message of this many bytes.
_BURST_PART = 128
_BURST_PART_BYTES = 1 << 16
_POST_PART_BYTES = 1 << 20
# Strs shorter than this go as a run (one buffer for all of them, see _codec.encode_str_run).
_RUN_STR = 256


class Sending:
    """The sending side of a JsWorker (``_js`` is its JavaScript worker)."""

    _js: Any
    _killed: bool
    _send_error: Exception | None
    _check_size: Callable[[int], None]  # JsWorker's: refuses a message over the size limit

    def _init_sending(self, shared: bool) -> None:
        # A burst of sends leaves with one call into JavaScript: the first at once, the rest at the
        # end of the current task (a microtask), or before any other call on this worker.
        self._out: list[bytes] = []
        # Then short strs of the burst, sent after those frames as one run when they are ASCII.
        self._run: list[str] = []
        self._burst = False
        self._end_burst_proxy: Any = None
        self._tick_pending = False
        # Shared transport: a long burst leaves in parts (see send_message). With postMessage each
        # part costs the worker a message event into Python, so a burst leaves whole, except that
        # a message of a mebibyte or more goes at once (postMessage sends every mebibyte anyway,
        # and joining a burst of large messages into one bytes object is a large new allocation).
        self._burst_part = _BURST_PART if shared else 1 << 62
        self._burst_part_bytes = _BURST_PART_BYTES if shared else _POST_PART_BYTES

    def send_message(self, value: Any) -> None:
        """Sends ``value`` (TypeError, before anything is sent, for a value that cannot be sent)."""
        if self._burst:
            # The rest of a burst. A short str is only put in a list: they leave as one run,
            # encoded with a few calls for all of them (an echo of 16-byte strs: 0.8 against
            # 0.4 us a message).
            t = type(value)
            if t is str and len(value) < _RUN_STR:
                run = self._run
                run.append(value)
                if 2 * len(run) + len(self._out) >= self._burst_part:
                    self._send_out()
                return
            # Anything else goes straight into frames, a str or bytes with one head for the frame
            # and the value (what encode and _len_prefix do, without their calls).
            if self._run:
                self._close_run()
            if t is str:
                b = value.encode()
                head = _str_frame_head(len(b) + 5, _STR, len(b))
            elif t is bytes:
                b = value
                head = _bytes_frame_head(len(b) + 6, _BYTES, _KIND_BYTES, len(b))
            else:
                b = encode(value)
                head = _len_prefix(len(b))
            self._queue_frame(head, b)
            return
        self._send_first(encode(value))

    def _send_encoded(self, payload: bytes) -> None:
        """Sends a message that ``_codec.encode`` made already (the pool encodes each task once,
        when it is submitted)."""
        if self._burst:
            if self._run:
                self._close_run()
            self._queue_frame(_len_prefix(len(payload)), payload)
        else:
            self._send_first(payload)

    def _queue_frame(self, head: bytes, b: bytes) -> None:
        """Adds a message's frame to the burst."""
        if len(b) >= self._burst_part_bytes:
            self._check_size(len(b) + len(head) - 4)
        self._out.append(head)
        self._out.append(b)
        # On the shared transport a long burst leaves in parts, so the worker starts on the
        # first messages while the page still sends the rest (an echo of 16-byte str in bursts
        # of 500: about 300 to 500 k/s, the two alternated on one page).
        if len(self._out) >= self._burst_part or len(b) >= self._burst_part_bytes:
            self._send_out()

    def _send_first(self, payload: bytes) -> None:
        """Sends the first message of a burst at once; the rest of the burst is gathered."""
        self._check_size(len(payload))
        try:
            self._js.sendEncoded(js_bytes(payload))
        except JsException as e:
            raise _translate(e) from None
        self._burst = True
        if not self._tick_pending:
            if self._end_burst_proxy is None:
                from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

                self._end_burst_proxy = create_proxy(self._end_burst)
            js.queueMicrotask(self._end_burst_proxy)
            self._tick_pending = True

    def _end_burst(self) -> None:
        self._tick_pending = False
        if self._killed:
            self._burst = False
            self._end_burst_proxy.destroy()
            self._end_burst_proxy = None
            return
        try:
            self._flush()
        except Exception as e:  # raised by the next call on this worker
            self._send_error = e

    def _flush(self) -> None:
        """Sends the rest of the current burst now."""
        self._burst = False
        if self._out or self._run:
            self._send_out()

    def _close_run(self) -> None:
        """Writes the pending strs as frames after the others."""
        out = self._out
        for value in self._run:
            b = value.encode()
            out.append(_str_frame_head(len(b) + 5, _STR, len(b)))
            out.append(b)
        self._run.clear()

    def _send_out(self) -> None:
        """Sends the messages of the burst queued so far, with one call."""
        data = None
        if self._run and not self._out:
            data = encode_str_run(self._run)
        if data is None:
            if self._run:
                self._close_run()
            data = b"".join(self._out)
            self._out.clear()
        else:
            self._run.clear()
        try:
            self._js.sendEncodedBatch(js_bytes(data))
        except JsException as e:
            raise _translate(e) from None

    send = send_message
