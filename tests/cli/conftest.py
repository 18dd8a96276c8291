"""CLI fixtures: a click runner and a private copy of the bundled example."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from tierform.cli.main import cli

from ..conftest import EXAMPLES


@pytest.fixture
def run():
    runner = CliRunner()

    def _run(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return _run


@pytest.fixture
def example(tmp_path):
    for name in ("tierform.yaml", "accounts.csv"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path / "tierform.yaml"
