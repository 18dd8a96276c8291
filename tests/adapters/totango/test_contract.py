"""The shipped adapter conformance suite, run against the Totango fake."""

from __future__ import annotations

import pytest

from tierform.sync.fields import coverage_fields
from tierform.testing import AdapterContract, Harness

from .fake import TotangoFake


class TestTotangoContract(AdapterContract):
    @pytest.fixture
    def harness(self, fake: TotangoFake, make_adapter, tmp_path) -> Harness:
        for i in range(12):  # the suite's book: ACC-0000 ... ACC-0011, known to Totango
            fake.add_account(f"ACC-{i:04d}", f"Account {i}", {"Contract Value": "100"})
        fake.define(*(f.name for f in coverage_fields([], [], [], [], [], True)))
        fake.define(*(f"tf_health_{d}" for d in ("usage", "engagement", "support", "financial")))
        fake.define("tf_health_growth")
        fake.add_user("Ana Ruiz", "ana@example.com")
        return Harness(make=make_adapter, journal_dir=tmp_path, accounts=12)
