"""The collector pauses around building a million objects and always comes back."""

from __future__ import annotations

import gc

import pytest

from tierform.sync.state import frozen_gc, paused_gc


def test_paused_gc_nests_and_resumes_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused_gc():
            assert not gc.isenabled()
            with paused_gc():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer pause still holds
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_frozen_gc_thaws_after_an_error() -> None:
    before = gc.get_freeze_count()
    alive = [{"x": i} for i in range(100)]
    with pytest.raises(RuntimeError):
        with frozen_gc():
            assert gc.get_freeze_count() >= before + len(alive)
            raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
