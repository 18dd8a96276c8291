"""Property-style: whatever bytes, YAML or CSV cells a user feeds the analysis commands, the
answer is exit 0 or 1 with a message -- never a traceback, never a hang.

Each example runs the real CLI in-process (click's runner); an exception that escapes the
command's own error handling is a failure, whatever its type.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierform.cli.main import cli
from tierform.core.loader import starter_text

from ..conftest import EXAMPLES

HEADER = next(csv.reader(io.StringIO((EXAMPLES / "accounts.csv").read_text(encoding="utf-8"))))
NASTY = [
    "",
    "NaN",
    "inf",
    "-inf",
    "1e400",
    "$1,2,3",
    "1.234,50 €",
    "(1,000)",
    "USD 20,685.42",
    '=HYPERLINK("http://x")',
    "[/]",
    "[red]12[/red]",
    "2026-02-30",
    "13/01/2027",
    "0000-01-01",
    "\x00",
    "\x07bell",
    "true",
    "9" * 400,
    "-5",
    "Grand Totals (900 records)",
]
# Derandomized: the same examples on every run, so CI never turns red by chance; a new case
# found while developing is added to NASTY.
BOUND = settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=dt.timedelta(seconds=60),  # a hang guard per example, not a speed target
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=True)


def assert_handled(result: Any, args: tuple[str, ...]) -> None:
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not escaped, f"{args}: {type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in (0, 1), (args, result.exit_code, result.output[-500:])
    assert "Traceback" not in result.output


def cell() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=12))


@BOUND
@given(rows=st.lists(st.lists(cell(), min_size=len(HEADER), max_size=len(HEADER)), max_size=12))
def test_random_csv_cells(rows: list[list[str]]) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        book = folder / "accounts.csv"
        with book.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(rows)
        shutil.copy(EXAMPLES / "tierform.yaml", folder / "tierform.yaml")
        model = str(folder / "tierform.yaml")
        for args in (
            ("validate", "-c", model, "--accounts", str(book)),
            ("segment", "-c", model, "--accounts", str(book), "--format", "json"),
            ("report", "-c", model, "--accounts", str(book), "--out", str(folder / "out")),
        ):
            assert_handled(invoke(*args), args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@BOUND
@given(data=st.binary(max_size=400), as_model=st.booleans())
def test_random_bytes(data: bytes, as_model: bool) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        target = folder / ("tierform.yaml" if as_model else "accounts.csv")
        target.write_bytes(data)
        model = folder / "tierform.yaml"
        if not as_model:
            shutil.copy(EXAMPLES / "tierform.yaml", model)
        book = folder / "accounts.csv" if not as_model else EXAMPLES / "accounts.csv"
        for args in (
            ("validate", "-c", str(model), "--accounts", str(book)),
            ("segment", "-c", str(model), "--accounts", str(book)),
        ):
            assert_handled(invoke(*args), args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


yaml_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)
SECTIONS = ["tiers", "segmentation", "capacity", "accounts", "roster", "health", "rules"]


@BOUND
@given(doc=st.dictionaries(st.one_of(st.sampled_from(SECTIONS), st.text(max_size=8)), yaml_values))
def test_random_yaml_models(doc: dict[str, Any]) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        model = folder / "tierform.yaml"
        model.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        book = str(EXAMPLES / "accounts.csv")
        for args in (
            ("validate", "-c", str(model), "--accounts", book),
            ("segment", "-c", str(model), "--accounts", book),
        ):
            assert_handled(invoke(*args), args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_emoji_codes_in_user_text_are_printed_as_written(tmp_path: Path) -> None:
    """rich turns ``:smile:`` in a plain message into an emoji unless told not to: a skipped
    row's cell is listed as it is."""
    model = tmp_path / "tierform.yaml"
    model.write_text(
        starter_text().replace("skip_invalid: false", "skip_invalid: true"), encoding="utf-8"
    )
    book = tmp_path / "accounts.csv"
    book.write_text("account_id,acv\nA,:smile:\nB,20\n", encoding="utf-8")
    result = invoke("segment", "-c", str(model), "--accounts", str(book))
    assert result.exit_code == 0, result.output
    assert "skipped 1 problem row" in result.output
    assert ":smile:" in result.output and "\U0001f604" not in result.output
