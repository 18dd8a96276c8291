"""The group imports a command's module only when the command is looked up; the help lists
the same commands with the same text as a group with every command added up front."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from tierform.cli import (
    buildsheet_cmds,
    coverage_cmds,
    health_cmd,
    import_cmd,
    main,
    migrate_cmds,
    model_cmds,
    playbooks_cmd,
    report_cmd,
    rules_cmds,
    sync_cmds,
)

from ..conftest import EXAMPLES

EVERY_COMMAND = [
    model_cmds.schema_cmd,
    model_cmds.init_cmd,
    model_cmds.validate_cmd,
    import_cmd.import_workbook_cmd,
    coverage_cmds.segment_cmd,
    coverage_cmds.capacity_cmd,
    coverage_cmds.assign_cmd,
    coverage_cmds.recommend_cmd,
    health_cmd.health_cmd,
    playbooks_cmd.playbooks_cmd,
    rules_cmds.rules_group,
    report_cmd.report,
    *sync_cmds.COMMANDS,
    migrate_cmds.export_cmd,
    migrate_cmds.compare_cmd,
    migrate_cmds.migrate_cmd,
    buildsheet_cmds.buildsheet_cmd,
]


def eager_group() -> click.Group:
    """The group as it was: every command added when the module loads."""
    group = click.Group(
        "cli",
        callback=main.cli.callback,
        params=main.cli.params,
        help=main.cli.help,
        context_settings=main.cli.context_settings,
    )
    for command in EVERY_COMMAND:
        group.add_command(command)
    return group


def test_help_lists_the_same_commands_as_the_eager_group() -> None:
    runner = CliRunner()
    lazy = runner.invoke(main.cli, ["--help"], prog_name="tierform")
    eager = runner.invoke(eager_group(), ["--help"], prog_name="tierform")
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    names = sorted(c.name for c in EVERY_COMMAND if c.name)
    assert sorted(main.COMMAND_MODULES) == names


def fresh_lazy_group() -> main.LazyGroup:
    """The group as ``tierform`` starts: no command looked up yet (``main.cli`` itself may
    hold the commands earlier tests looked up)."""
    return main.LazyGroup(
        "cli",
        callback=main.cli.callback,
        params=main.cli.params,
        help=main.cli.help,
        context_settings=main.cli.context_settings,
    )


def test_help_from_the_summaries_matches_the_commands_at_every_width() -> None:
    runner = CliRunner()
    for width in (50, 80, 100, 200):
        fresh = fresh_lazy_group()
        lazy = runner.invoke(fresh, ["--help"], prog_name="tierform", terminal_width=width)
        eager = runner.invoke(eager_group(), ["--help"], prog_name="tierform", terminal_width=width)
        assert lazy.exit_code == eager.exit_code == 0
        assert lazy.output == eager.output, width
        assert not fresh.commands  # listed, none loaded


def test_each_summary_is_its_commands_first_paragraph() -> None:
    for command in EVERY_COMMAND:
        assert command.name is not None
        first = (command.help or "").split("\n\n")[0]
        assert main.SUMMARIES.get(command.name) == first, (
            f"{command.name}: main.SUMMARIES must hold the first paragraph of its help"
        )
        assert not (command.hidden or command.deprecated or command.short_help), command.name
    assert sorted(main.SUMMARIES) == sorted(main.COMMAND_MODULES)


def test_help_loads_no_command_module() -> None:
    probe = (
        "import sys\n"
        "from tierform.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'], standalone_mode=False)\n"
        "finally:\n"
        "    loaded = sorted(m for m in sys.modules if m.startswith(('tierform.', 'rich')))\n"
        "    print(' '.join(loaded), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "Commands:" in done.stdout and "segment" in done.stdout
    loaded = set(done.stderr.strip().splitlines()[-1].split())
    listed_only = {"tierform.cli", "tierform.cli.main", "tierform.cli.logs"}
    assert loaded == listed_only, loaded


def test_every_name_loads_its_own_command() -> None:
    for command in EVERY_COMMAND:
        assert command.name is not None
        assert main.cli.get_command(click.Context(main.cli), command.name) is command
    assert main.cli.get_command(click.Context(main.cli), "no-such-command") is None


def test_a_command_loads_only_its_own_module() -> None:
    probe = (
        "import sys\n"
        "from tierform.cli.main import cli\n"
        "cli(sys.argv[1:], standalone_mode=False)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('tierform.cli.'))\n"
        "print(' '.join(loaded), file=sys.stderr)\n"
    )
    args = ["segment", "-c", str(EXAMPLES / "tierform.yaml"), "--format", "json"]
    args += ["--accounts", str(EXAMPLES / "accounts.csv")]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True
    )
    loaded = set(done.stderr.strip().splitlines()[-1].split())
    assert "tierform.cli.coverage_cmds" in loaded
    for other in ("buildsheet_cmds", "report_cmd", "migrate_cmds", "health_cmd", "rules_cmds"):
        assert f"tierform.cli.{other}" not in loaded


#: Runs ``tierform ARGS`` in-process, then prints whether ``numpy.ma`` was loaded.
MASKED_ARRAY_PROBE = (
    "import sys\n"
    "from tierform.cli.main import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], standalone_mode=False)\n"
    "finally:\n"
    "    print('numpy.ma' in sys.modules, file=sys.stderr)\n"
)


def test_analysis_commands_do_not_load_the_masked_array_module() -> None:
    """``numpy.ma`` (loaded by ``np.unique`` and ``pa.array`` on numpy arrays) costs every
    command tens of milliseconds; the analysis commands do without it."""
    book = ["-c", str(EXAMPLES / "tierform.yaml"), "--accounts", str(EXAMPLES / "accounts.csv")]
    for command in (["segment"], ["health", "--as-of", "2026-11-01"], ["rules", "run"]):
        done = subprocess.run(
            [sys.executable, "-c", MASKED_ARRAY_PROBE, *command, *book, "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stderr.strip().splitlines()[-1] == "False", command


def test_a_sync_plan_with_tier_moves_does_not_load_the_masked_array_module(
    tmp_path: Path,
) -> None:
    """A dry run whose accounts moved tier (each move's handoff task names the CSM before
    it) plans without ``numpy.ma`` too."""
    model = (EXAMPLES / "tierform.yaml").read_text(encoding="utf-8")
    model = model.replace("path: ../out/coverage-tracking.xlsx", "path: tracking.xlsx")
    (tmp_path / "tierform.yaml").write_text(model, encoding="utf-8")
    lines = (EXAMPLES / "accounts.csv").read_text(encoding="utf-8").splitlines()[1:]
    ids = [line.split(",")[0].strip('"') for line in lines]
    previous = tmp_path / "previous.csv"
    previous.write_text(
        "account_id,tier,csm\n" + "".join(f"{i},Self-Serve,\n" for i in ids), encoding="utf-8"
    )
    args = ["sync", "-c", str(tmp_path / "tierform.yaml"), "--previous", str(previous)]
    args += ["--accounts", str(EXAMPLES / "accounts.csv"), "--as-of", "2026-11-01"]
    done = subprocess.run(
        [sys.executable, "-c", MASKED_ARRAY_PROBE, *args, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    plan = json.loads(done.stdout)
    sources = {c["data"].get("source") for c in plan["changes"] if c["kind"] == "work_item"}
    assert "rule:tier-migration" in sources  # the moves' handoff tasks were planned
    assert done.stderr.strip().splitlines()[-1] == "False"


#: Runs each ``tierform ARGS`` given (one per line on stdin) in-process, then prints whether
#: ``pyarrow.compute`` was loaded.
COMPUTE_MODULE_PROBE = (
    "import shlex, sys\n"
    "from tierform.cli.main import cli\n"
    "for line in sys.stdin.read().splitlines():\n"
    "    try:\n"
    "        cli(shlex.split(line), standalone_mode=False)\n"
    "    finally:\n"
    "        print(line, 'pyarrow.compute' in sys.modules, file=sys.stderr)\n"
)


def test_analysis_commands_do_not_load_pyarrow_compute() -> None:
    """Importing ``pyarrow.compute`` wraps every Arrow function (a tenth of a small
    command's time); the core calls the few it needs through ``arrow_compute`` instead, and
    no Arrow method that imports the module (``.cast``, ``.fill_null``, ``.take``, ...)."""
    book = f"-c {EXAMPLES / 'tierform.yaml'} --accounts {EXAMPLES / 'accounts.csv'}"
    commands = ["segment", "capacity", "health --as-of 2026-11-01", "rules run", "validate"]
    commands += ["assign", "recommend"]
    lines = [f"{c} {book}{fmt}" for c in commands for fmt in ("", " --format json")]
    done = subprocess.run(
        [sys.executable, "-c", COMPUTE_MODULE_PROBE],
        input="\n".join(lines),
        capture_output=True,
        text=True,
        check=True,
    )
    answers = [line for line in done.stderr.splitlines() if line.endswith((" True", " False"))]
    assert len(answers) == len(lines)
    assert all(a.endswith(" False") for a in answers), answers
