"""Work on a second thread hands over its result, or its error, to the thread that waits."""

from __future__ import annotations

import threading

import pytest

from tierform.core.background import Background, in_turns


def test_the_result_is_the_works_own():
    job = Background(lambda: sorted([3, 1, 2]))
    assert job.result() == [1, 2, 3]
    assert job.result() == [1, 2, 3]  # asked again: the same


def test_the_error_is_raised_in_the_waiting_thread():
    failing = Background(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result()
    assert not failing.is_alive()


def test_the_work_runs_while_the_caller_goes_on():
    started, release = threading.Event(), threading.Event()

    def work() -> str:
        started.set()
        release.wait(5)
        return "done"

    job = Background(work)
    assert started.wait(5) and job.is_alive()  # running before anyone waits for it
    release.set()
    assert job.result() == "done"


def _threads_named(name: str) -> int:
    return sum(1 for t in threading.enumerate() if t.name == name)


def test_in_turns_gives_every_result_in_order_half_of_them_made_on_a_second_thread():
    made_by: dict[int, str] = {}

    def work(i: int) -> int:
        made_by[i] = threading.current_thread().name
        return i * i

    assert list(in_turns(work, 7)) == [0, 1, 4, 9, 16, 25, 36]
    here = threading.current_thread().name
    assert [made_by[i] == here for i in range(7)] == [True, False] * 3 + [True]
    assert _threads_named("tierform-in-turns") == 0  # ended with the iterator
    assert list(in_turns(work, 0)) == [] and list(in_turns(work, 1)) == [0]
    made_by.clear()
    single = in_turns(work, 1)
    assert next(single) == 0 and made_by[0] == here  # one item: made here
    assert _threads_named("tierform-in-turns") == 0  # and no thread started for it


@pytest.mark.parametrize("failing", [2, 3])  # made here, made on the second thread
def test_in_turns_raises_an_error_in_its_place(failing: int):
    def work(i: int) -> int:
        if i == failing:
            raise ValueError(f"item {i}")
        return i

    got: list[int] = []
    with pytest.raises(ValueError, match=f"item {failing}"):
        for value in in_turns(work, 6):
            got.append(value)
    assert got == list(range(failing))  # everything before it, nothing after
    assert _threads_named("tierform-in-turns") == 0


def test_in_turns_closed_early_ends_its_second_thread():
    turns = in_turns(lambda i: i, 100)
    assert next(turns) == 0
    assert _threads_named("tierform-in-turns") == 1
    turns.close()
    assert _threads_named("tierform-in-turns") == 0
