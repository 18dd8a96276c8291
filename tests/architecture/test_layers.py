"""The import layers point one way, and the project imports its own parts plainly.

Arrows: cli -> report, adapters -> sync -> core -> errors; ``workbook`` (typed cells drawn as
.xlsx or Sheets) is a leaf any writer may use. Every ``import`` is counted, also the
ones inside functions (the CLI imports the engine lazily), so an arrow that turns back fails
here, whatever the import's position.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tierform"

# What each part may import from the project (besides itself).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "core": {"errors"},
    "workbook": {"errors"},
    "sync": {"core", "workbook", "errors"},
    "report": {"core", "workbook", "errors"},
    "adapters": {"sync", "core", "workbook", "errors"},
    "testing": {"sync", "core", "errors"},
    "cli": {"core", "sync", "report", "adapters", "workbook", "errors"},
}


def part_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tierform":
        return None
    return parts[1] if len(parts) > 1 else "tierform"


def project_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "tierform":
                found += [
                    (node.lineno, f"tierform.{a.name}")
                    for a in node.names
                    if not a.name.startswith("__")  # __version__
                ]
    return [(line, m) for line, m in found if m.startswith("tierform")]


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


def test_every_part_is_known() -> None:
    parts = {p.relative_to(SRC).parts[0].removesuffix(".py") for p in modules()}
    assert parts - {"__init__"} <= set(ALLOWED)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_layers(path: Path) -> None:
    own = path.relative_to(SRC).parts[0].removesuffix(".py")
    if own == "__init__":
        own = "tierform"
    allowed = ALLOWED.get(own, set(ALLOWED)) | {own}
    bad = [
        f"line {line}: {module}"
        for line, module in project_imports(path)
        if (part := part_of(module)) not in allowed and part != "tierform"
    ]
    assert not bad, f"{path.relative_to(SRC)} imports against the layers: {bad}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_dynamic_import_of_the_project(path: Path) -> None:
    """A part of the project is imported with ``import``, never through importlib or a
    ``try/except ImportError`` (only the registry loads third-party plugins by name)."""
    if path.name == "registry.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            assert not names & {"ImportError", "ModuleNotFoundError"}, (
                f"{path.name}:{node.lineno} catches an ImportError"
            )
        if isinstance(node, ast.Attribute) and node.attr == "import_module":
            raise AssertionError(f"{path.name}:{node.lineno} uses import_module")


def test_the_layer_check_catches_a_reversed_arrow(tmp_path: Path) -> None:
    """The check itself can fail: a core module importing the sync engine is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tierform.sync.engine import Syncer\n", encoding="utf-8")
    found = project_imports(bad)
    assert found == [(2, "tierform.sync.engine")]
    assert part_of(found[0][1]) not in ALLOWED["core"] | {"core"}
