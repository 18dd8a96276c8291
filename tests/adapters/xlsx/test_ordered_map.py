"""``mapped_ahead`` and ``mapped_in_pairs``: results in order, errors where their item is
taken, no thread left."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tierform.workbook.ordered_map import mapped_ahead, mapped_in_pairs


def _map_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("tierform-map")]


def test_results_come_in_the_items_order_whatever_order_they_end_in() -> None:
    rng = random.Random(7)
    delays = [rng.choice([0.0, 0.001, 0.004]) for _ in range(60)]

    def slow_square(i: int) -> int:
        time.sleep(delays[i])
        return i * i

    assert list(mapped_ahead(slow_square, range(60), workers=3, window=5)) == [
        i * i for i in range(60)
    ]
    assert _map_threads() == []


def test_no_more_than_the_window_is_made_ahead_of_the_caller() -> None:
    begun: list[int] = []

    def note(i: int) -> int:
        begun.append(i)
        return i

    results = mapped_ahead(note, range(100), workers=2, window=3)
    assert next(results) == 0
    time.sleep(0.05)  # let the workers run as far as they may
    assert max(begun) <= 3  # items 1 and 2 waiting, item 3 submitted when 0 was taken
    results.close()
    assert _map_threads() == []


def test_an_error_is_raised_where_its_item_is_taken_and_the_threads_end() -> None:
    def fail_at_five(i: int) -> int:
        if i == 5:
            raise ValueError("item 5")
        return i

    taken = []
    with pytest.raises(ValueError, match="item 5"):
        for value in mapped_ahead(fail_at_five, range(20)):
            taken.append(value)
    assert taken == [0, 1, 2, 3, 4]
    assert _map_threads() == []


def test_a_caller_that_stops_early_leaves_no_thread_and_skips_what_had_not_begun() -> None:
    done: list[int] = []

    def work(i: int) -> int:
        time.sleep(0.01)
        done.append(i)
        return i

    for value in mapped_ahead(work, range(1000), workers=2, window=4):
        if value == 2:
            break
    assert _map_threads() == []
    assert len(done) < 10  # the rest was cancelled, not made


# --- mapped_in_pairs ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 2, 7])
def test_pairs_come_in_order_one_of_each_pair_made_on_the_other_thread(count: int) -> None:
    made: list[tuple[int, str]] = []

    def note(i: int) -> int:
        made.append((i, threading.current_thread().name))
        time.sleep(0.002)
        return i * 10

    assert list(mapped_in_pairs(note, range(count))) == [i * 10 for i in range(count)]
    on_worker = {i for i, name in made if name.startswith("tierform-map")}
    assert on_worker == {i for i in range(count) if i % 2 == 1}  # each pair's second
    assert _map_threads() == []


def test_nothing_is_made_while_the_caller_works_on_a_pair() -> None:
    made: list[int] = []
    pairs = mapped_in_pairs(lambda i: made.append(i) or i, range(10))
    assert next(pairs) == 0
    time.sleep(0.02)
    assert sorted(made) == [0, 1]  # the next pair waits for the caller
    assert next(pairs) == 1
    time.sleep(0.02)
    assert sorted(made) == [0, 1]
    pairs.close()
    assert _map_threads() == []


@pytest.mark.parametrize("failing", [4, 5])
def test_an_error_in_either_of_a_pair_is_raised_and_no_thread_is_left(failing: int) -> None:
    def fail(i: int) -> int:
        if i == failing:
            raise ValueError(f"item {i}")
        return i

    taken = []
    with pytest.raises(ValueError, match=f"item {failing}"):
        for value in mapped_in_pairs(fail, range(10)):
            taken.append(value)
    assert taken == [0, 1, 2, 3]  # the failing pair gives nothing
    assert _map_threads() == []
