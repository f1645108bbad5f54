"""``WorkerMessage``: one message received from a worker, in the list the original API keeps."""

from __future__ import annotations

from typing import Any

from ._codec import decode

_UNSET = object()


def _value(payload: Any) -> Any:
    """The Python value of a received message: its encoded bytes (a Uint8Array), decoded."""
    return decode(payload.to_bytes())


class WorkerMessage:
    """A message received from a worker: ``read()`` marks it read and returns its value."""

    def __init__(self, js_message: Any) -> None:
        self._js = js_message
        self._value: Any = _UNSET

    def read(self) -> Any:
        """Marks the message as read and returns its value."""
        self._js.read()
        return self.data

    def is_opened(self) -> bool:
        """Whether ``read()`` was called."""
        return bool(self._js.is_opened())

    @property
    def data(self) -> Any:
        """The value, without marking the message as read (decoded once, then the same object)."""
        if self._value is _UNSET:
            self._value = _value(self._js.data)
        return self._value

    @property
    def received_at(self) -> float:
        """When the page received it (``performance.now()``, milliseconds)."""
        return float(self._js.receivedAt)

    def __repr__(self) -> str:
        return f"WorkerMessage({self.data!r}, opened={self.is_opened()})"
