"""What the system refuses (a file where a folder goes, a folder that cannot be made) ends a
command with one line naming the path and exit 1, or as a usage error: never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tierform.cli.common import _os_error, handle_errors
from tierform.cli.main import cli

from ..conftest import EXAMPLES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "tierform.yaml", tmp_path / "tierform.yaml")
    shutil.copy(EXAMPLES / "accounts.csv", tmp_path / "accounts.csv")
    (tmp_path / "a-file").write_text("not a folder\n")
    return tmp_path


def _report(folder: Path, out: str) -> object:
    args = ["report", "-c", str(folder / "tierform.yaml"), "--accounts"]
    return CliRunner().invoke(cli, [*args, str(folder / "accounts.csv"), "--out", out])


def test_a_file_given_as_the_output_folder_is_a_usage_error(folder: Path) -> None:
    for out in (str(folder / "a-file"), str(folder / "a-file") + "/"):
        result = _report(folder, out)
        assert result.exit_code == 2, result.output
        assert "is a file" in result.output and result.exception.__class__ is SystemExit
    assert (folder / "a-file").read_text() == "not a folder\n"


def test_a_folder_that_cannot_be_made_is_named_in_one_line(folder: Path) -> None:
    out = folder / "a-file" / "report"  # under a file: the system says "Not a directory"
    result = _report(folder, str(out))
    assert result.exit_code == 1, result.output
    assert result.exception.__class__ is SystemExit  # ended by the handler, not escaped
    line = next(x for x in result.output.splitlines() if x.startswith("error:"))
    assert "Not a directory" in line and str(folder / "a-file") in line
    assert "Traceback" not in result.output


def test_an_os_error_escaping_a_command_ends_it_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @handle_errors
    def command() -> None:
        raise PermissionError(13, "Permission denied", "/reports/coverage-model.html")

    with pytest.raises(SystemExit) as stop:
        command()
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: Permission denied: /reports/coverage-model.html"


def test_a_closed_pipe_is_left_to_the_output_handling() -> None:
    @handle_errors
    def command() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(BrokenPipeError):
        command()


def test_os_error_lines() -> None:
    assert _os_error(FileExistsError(17, "File exists", "out")) == "File exists: out"
    moved = OSError(18, "Invalid cross-device link", "a.tmp", None, "b.xlsx")
    assert _os_error(moved) == "Invalid cross-device link: a.tmp -> b.xlsx"
    assert _os_error(OSError("no space left")) == "no space left"
    assert _os_error(OSError()) == "OSError"
