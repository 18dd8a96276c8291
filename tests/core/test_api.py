"""The Python API gives the same figures as the CLI's JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

import tierform
from tierform.cli.main import cli

from ..conftest import EXAMPLES


def test_api_matches_cli_json():
    model = tierform.load_model(EXAMPLES / "tierform.yaml")
    book = tierform.read_book(model.accounts.path, model.accounts)
    seg = tierform.segment(model, book)
    cap = tierform.plan_capacity(model, seg)
    out = CliRunner().invoke(
        cli, ["capacity", "-c", str(EXAMPLES / "tierform.yaml"), "--format", "json"]
    )
    assert json.loads(out.stdout) == json.loads(json.dumps(cap.to_dict()))
    assert tierform.recommend(len(book), budget=1500).path == "B"
