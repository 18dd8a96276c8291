"""Work on a second thread hands over its result, or its error, to the thread that waits."""

from __future__ import annotations

import threading

import pytest

from tierform.core.background import Background


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
