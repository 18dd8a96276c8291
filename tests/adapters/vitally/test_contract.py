"""The shipped adapter conformance suite, run against the Vitally fake."""

from __future__ import annotations

import pytest

from tierform.testing import AdapterContract, Harness

from .fake import VitallyFake


class TestVitallyContract(AdapterContract):
    @pytest.fixture
    def harness(self, fake: VitallyFake, make_adapter, tmp_path) -> Harness:
        for i in range(12):  # the suite's book: ACC-0000 ... ACC-0011, known to Vitally
            fake.add_account(f"ACC-{i:04d}", f"Account {i}", {"plan": "pro"})
        return Harness(make=make_adapter, journal_dir=tmp_path, accounts=12)
