"""The shipped adapter conformance suite, run against the ChurnZero fake."""

from __future__ import annotations

import pytest

from tierform.testing import AdapterContract, Harness

from .fake import ChurnZeroFake


class TestChurnZeroContract(AdapterContract):
    @pytest.fixture
    def harness(self, fake: ChurnZeroFake, make_adapter, tmp_path) -> Harness:
        for i in range(12):  # the suite's book: ACC-0000 ... ACC-0011, known to ChurnZero
            fake.add_account(f"ACC-{i:04d}", f"Account {i}", {"Plan": "pro"})
        return Harness(make=make_adapter, journal_dir=tmp_path, accounts=12)


def test_registered_by_platform_name():
    from tierform.adapters.churnzero.adapter import ChurnZeroAdapter
    from tierform.adapters.churnzero.settings import ChurnZeroSettings
    from tierform.sync.registry import Registry

    found = Registry.of([ChurnZeroAdapter]).get("churnzero")
    assert found is ChurnZeroAdapter and found.Settings is ChurnZeroSettings
    assert found.capabilities.allows("work_item", "create")
    assert not found.capabilities.allows("work_item", "update")
