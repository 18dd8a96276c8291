"""The shipped adapter conformance suite, run against the Gainsight fake."""

from __future__ import annotations

import pytest

from tierform.sync.state import Kind
from tierform.testing import AdapterContract, Harness
from tierform.testing.conformance import sample_desired

from .fake import GainsightFake


class TestGainsightContract(AdapterContract):
    @pytest.fixture
    def harness(self, fake: GainsightFake, make_adapter, tmp_path) -> Harness:
        for i in range(12):
            fake.add_company(f"Account {i}", External_Id__gc=f"ACC-{i:04d}")
        for name, data in sample_desired(12).of(Kind.field).items():
            typ = {"number": "NUMBER"}.get(data["type"], "STRING")
            fake.create_field("_".join(p.capitalize() for p in name.split("_")) + "__gc", typ)
        return Harness(make=lambda: make_adapter(roster={}), journal_dir=tmp_path, accounts=12)
