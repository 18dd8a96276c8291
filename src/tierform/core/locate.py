"""Key path -> file:line in a model file: the one place YAML positions are mapped.

The YAML is composed once into nodes; every key path (``("tiers", 2, "ratio")``) gets the line
it was written on, and an issue about a path that is not in the file (a default) points at the
deepest ancestor that is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from tierform.errors import Issue

Loc = tuple[str | int, ...]
Lines = dict[Loc, int]


def line_index(root: yaml.Node) -> Lines:
    """Every key path of a composed YAML document and its 1-based line."""
    out: Lines = {}
    _walk(root, (), out)
    return out


def _walk(node: yaml.Node, path: Loc, out: Lines) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), out)


def issue_at(loc: Iterable[str | int], message: str, filename: str | None, lines: Lines) -> Issue:
    """An issue at ``loc``, on the line of its deepest key present in ``lines``."""
    path = tuple(loc)
    line = None
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            line = lines[path[:end]]
            break
    key = ".".join(str(p) for p in path) or None
    return Issue(message, file=filename, line=line, key=key)


def file_lines(path: Path | None) -> Lines:
    """The line index of a model file (empty when there is no file or it cannot be read)."""
    if path is None:
        return {}
    try:
        root = yaml.compose(path.read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return line_index(root) if root is not None else {}
