"""The delivery window of one stream: what was sent, what the broker acknowledged, what the cursor may say.

Why a window and not "advance on publish": a read offset that moves before the
broker has the record loses it when the process or the network dies in
between (Fluent Bit's tail input, closed as "not a bug"). Here every record read
gets the next sequence number and waits in the window; acknowledgements may come
in any order, and the cursor moves only past the *contiguous* run of
acknowledged records at the window's front. A restart or a reconnect reads
again from the cursor, so a record is delivered at least once and keeps its
sequence number every time it is delivered.

Example: records 7, 8, 9 sent; 9 and 7 acknowledged: the cursor moves past 7
only. When 8 is acknowledged it moves past 9.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from brain.uplink.cursor import Cursor, FilePosition


@dataclass(slots=True)
class Sent:
    """One record (or one skipped line) in the window (slots: up to ``max_in_flight`` of them wait)."""

    seq: int | None
    """Its sequence number; ``None`` for a malformed line, which is skipped (and logged), not sent."""
    key: str
    end: FilePosition
    timestamp: str | None
    acked: bool = False


class DeliveryWindow:
    """Sequence numbers, acknowledgements and the committed cursor of one stream."""

    def __init__(self, cursor: Cursor) -> None:
        self.committed = cursor.copy()
        """What is acknowledged: the cursor to store."""
        self.next_seq = cursor.next_seq
        """The sequence number of the next record read."""
        self._window: deque[Sent] = deque()
        self.in_flight = 0
        """Records sent and not yet acknowledged."""

    def send(self, key: str, end: FilePosition, timestamp: str) -> Sent:
        """Enter the next record read; it gets the next sequence number."""
        sent = Sent(self.next_seq, key, end, timestamp)
        self.next_seq += 1
        self.in_flight += 1
        self._window.append(sent)
        return sent

    def skip(self, key: str, end: FilePosition) -> None:
        """Enter a line that is not sent (malformed): it counts as acknowledged at once."""
        self._window.append(Sent(None, key, end, None, acked=True))

    def ack(self, sent: Sent) -> None:
        """The broker acknowledged ``sent``."""
        if not sent.acked:
            sent.acked = True
            self.in_flight -= 1

    def advance(self) -> int:
        """Move the committed cursor past the contiguous acknowledged front; return how many records."""
        moved = 0
        while self._window and self._window[0].acked:
            sent = self._window.popleft()
            self.committed.files[sent.key] = sent.end
            if sent.seq is not None:
                self.committed.next_seq = sent.seq + 1
                self.committed.last_timestamp = sent.timestamp
                moved += 1
        return moved

    def rewind(self) -> None:
        """Forget everything not acknowledged: it will be read and sent again with the same numbers."""
        self._window.clear()
        self.in_flight = 0
        self.next_seq = self.committed.next_seq

    @property
    def empty(self) -> bool:
        """Nothing sent is waiting for its acknowledgement."""
        return not self._window
