"""Load ``tierform.yaml`` into a :class:`CoverageModel`, reporting every problem with file:line.

The YAML is composed once into nodes so that every key path has the line it was written on;
pydantic's error locations and the validation key paths are mapped back through it
(:mod:`tierform.core.locate`).
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from tierform.core.locate import Lines, issue_at
from tierform.core.model import CoverageModel, Loc
from tierform.core.model_file import book_path, model_file
from tierform.core.safe_yaml import load_yaml
from tierform.core.validation import semantic_issues
from tierform.errors import ConfigError, Issue

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def starter_text() -> str:
    """The commented starter model (the recipe's framework) shipped with tierform."""
    return resources.files("tierform").joinpath("data/tierform.yaml").read_text(encoding="utf-8")


def default_model() -> CoverageModel:
    """The built-in default: the recipe's four-tier framework."""
    return load_model_text(starter_text(), "<built-in default>")


def load_model(path: str | Path | None = None) -> CoverageModel:
    """Load a model file; with no path, ``./tierform.yaml`` if present, else the default."""
    if path is None:
        path = model_file(None)
        if path is None:
            return default_model()
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise ConfigError(
            [
                Issue(
                    "this is a workbook, not a model file: write the model it holds with "
                    f"`tierform import-workbook {path} --out tierform.yaml`, then pass -c "
                    "tierform.yaml",
                    file=str(path),
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([Issue("file not found", file=str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue(f"cannot read: {exc}", file=str(path))]) from None
    model = load_model_text(text, str(path))
    if model.accounts.path:
        model.accounts.path = book_path(path, model.accounts.path)
    return model


def load_model_text(text: str, filename: str) -> CoverageModel:
    """Parse and validate model text; raise ConfigError with every issue found."""
    doc = load_yaml(text, filename)  # refuses what a model cannot hold, with file:line
    if doc.data is None:
        raise ConfigError([Issue("the file is empty", file=filename)])
    data, lines = doc.data, doc.lines
    if not isinstance(data, dict):
        raise ConfigError([Issue("the top level must be a mapping of keys", file=filename, line=1)])
    data = with_default_sections(data)
    try:
        model = CoverageModel.model_validate(data)
    except ValidationError as exc:
        issues = [_pydantic_issue(err, filename, lines) for err in exc.errors()]
        seen = {(i.key, i.message) for i in issues}
        for loc, msg in _partial_semantic_issues(data):
            issue = issue_at(loc, msg, filename, lines)
            if (issue.key, issue.message) not in seen:
                issues.append(issue)
        raise ConfigError(
            issues, f"{filename}: {len(issues)} problem(s) in the coverage model"
        ) from None
    problems = semantic_issues(model)
    if problems:
        issues = [issue_at(loc, msg, filename, lines) for loc, msg in problems]
        raise ConfigError(issues, f"{filename}: {len(issues)} problem(s) in the coverage model")
    return model


def with_default_sections(data: dict[str, Any]) -> dict[str, Any]:
    """The model's sections, each absent or empty one (``targets:``) taken from the starter.

    A model file may hold only what differs from the recipe's framework: a file with only
    ``targets:`` is the four-tier default with those targets. Health, playbooks and rules are
    generated from the tiers when absent; the other sections are the starter's (sync targets
    are never added: a model names its own).
    """
    out = {k: v for k, v in data.items() if v is not None or k not in (*_DEFAULTED, "targets")}
    missing = [k for k in _DEFAULTED if k not in out]
    if missing:
        starter = _starter_data()
        out.update({k: starter[k] for k in missing if k in starter})
    return out


# Top-level sections a model file may leave out; ``targets`` and the generated sections
# (health, playbooks, rules) default to empty / generated in the model itself.
_DEFAULTED = ("tiers", "segmentation", "capacity", "accounts", "roster")


@functools.cache
def _starter_sections() -> dict[str, Any]:
    doc = load_yaml(starter_text(), "<built-in default>")
    assert isinstance(doc.data, dict)
    return doc.data


def _starter_data() -> dict[str, Any]:
    """A deep copy, so that a loaded model never shares lists with the next one."""
    return copy.deepcopy(_starter_sections())


def _partial_semantic_issues(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Cross-field checks on the sections that did validate, so that one typo does not hide
    a tier gap elsewhere: every problem is reported in one pass."""
    good: dict[str, Any] = {}
    for key, value in data.items():
        info = CoverageModel.model_fields.get(key)
        if info is None or info.annotation is None:
            continue
        try:
            good[key] = TypeAdapter(info.annotation).validate_python(value)
        except ValidationError:
            continue
    if "tiers" not in good:
        return []
    try:
        return semantic_issues(CoverageModel.model_construct(**good))
    except Exception:  # a partial model may trip a check; the shape errors already stand
        return []


def _pydantic_issue(err: Any, filename: str, lines: Lines) -> Issue:
    # pydantic adds union/function markers to locations; keep only real keys and indexes.
    loc = tuple(p for p in err["loc"] if isinstance(p, int) or ("[" not in p and "(" not in p))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; `tierform schema` lists every key)"
    elif err["type"] == "missing":
        message = "required key is missing"
    return issue_at(loc, message, filename, lines)
