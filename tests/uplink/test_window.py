"""The delivery window: the cursor moves only past the contiguous run of acknowledged records."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from brain.uplink.cursor import Cursor, FilePosition
from brain.uplink.window import DeliveryWindow

KEY = "run_20260601/state.0000.jsonl"


def at(line: int) -> FilePosition:
    return FilePosition(offset=line * 100, lines=line)


def test_an_acknowledgement_out_of_order_waits_for_the_gap_to_close() -> None:
    window = DeliveryWindow(Cursor("state", "e1", next_seq=7, files={KEY: at(7)}))
    sent = [window.send(KEY, at(line), f"t{line}") for line in (8, 9, 10)]
    assert [s.seq for s in sent] == [7, 8, 9]
    window.ack(sent[2])
    window.ack(sent[0])
    assert window.advance() == 1
    assert (window.committed.next_seq, window.committed.files[KEY]) == (8, at(8))
    window.ack(sent[1])
    assert window.advance() == 2
    assert (window.committed.next_seq, window.committed.files[KEY], window.committed.last_timestamp) == (
        10,
        at(10),
        "t10",
    )
    assert window.empty and window.in_flight == 0


def test_a_rewind_sends_the_unacknowledged_again_with_the_same_numbers() -> None:
    window = DeliveryWindow(Cursor("state", "e1"))
    first = [window.send(KEY, at(line), "t") for line in (1, 2, 3)]
    window.ack(first[0])
    window.advance()
    window.rewind()
    again = [window.send(KEY, at(line), "t") for line in (2, 3)]
    assert [s.seq for s in again] == [1, 2]


def test_a_skipped_line_moves_the_position_but_uses_no_number() -> None:
    window = DeliveryWindow(Cursor("state", "e1"))
    a = window.send(KEY, at(1), "t1")
    window.skip(KEY, at(2))
    b = window.send(KEY, at(3), "t3")
    assert (a.seq, b.seq) == (0, 1)
    window.ack(a)
    window.ack(b)
    assert window.advance() == 2
    assert window.committed.files[KEY] == at(3) and window.committed.next_seq == 2


@given(st.integers(min_value=1, max_value=60), st.randoms(use_true_random=False))
def test_whatever_the_ack_order_the_cursor_never_passes_an_unacknowledged_record(
    count: int, rnd: random.Random
) -> None:
    window = DeliveryWindow(Cursor("state", "e1"))
    sent = [window.send(KEY, at(line), "t") for line in range(1, count + 1)]
    order = list(range(count))
    rnd.shuffle(order)
    acked: set[int] = set()
    for index in order:
        window.ack(sent[index])
        acked.add(index)
        window.advance()
        front = window.committed.next_seq
        assert set(range(front)) <= acked  # everything before the cursor is acknowledged
        assert front == count or front not in acked or front - 1 in acked or front == 0
    assert window.committed.next_seq == count and window.empty
