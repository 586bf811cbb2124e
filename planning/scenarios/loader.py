"""Reading scenario YAML with the line of every key, ``extends:`` and relative paths.

A scenario file is plain YAML. :func:`read_scenario_yaml` returns the data together with a
:class:`Marks` map from every key path (``("rules", "params", "HC-06", "radius_km")``) to the file
and line it came from, so that every validation problem can say *file:line: key path: what is
wrong and what is allowed*. ``extends: other.yaml`` (relative to the file) reads the other file
first and deep-merges this one over it: mappings merge key by key, every other value (lists
included) replaces the inherited one. Relative paths are resolved against the directory of the
file that wrote them, so an inherited ``county:`` path still points to the right place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planning._errors import ScenarioError

__all__ = ["Marks", "read_scenario_yaml", "format_path", "PATH_KEYS", "CANDIDATE_KEYWORDS"]

#: Values of a recipe's ``candidates`` option that are keywords, not file paths.
CANDIDATE_KEYWORDS: frozenset[str] = frozenset(
    {"villages", "township_seats", "street_nodes", "facilities"})

#: Key paths whose string values are file paths (``*`` matches any key at that level).
PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("county",),
    ("county", "layers", "*", "path"),
    ("county", "roads", "path"),
    ("county", "population", "path"),
    ("county", "dem", "path"),
    ("recipes", "*", "candidates"),
)

KeyPath = tuple[Any, ...]


def format_path(path: Iterable[Any]) -> str:
    """A key path as a planner reads it: ``edits.add_facilities[0].kind``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


@dataclass
class Marks:
    """Where each key of a (merged) scenario came from.

    Attributes
    ----------
    lines : dict
        Key path → (file, 1-based line).
    """

    lines: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def where(self, path: Iterable[Any]) -> tuple[str, int]:
        """File and line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), ("<scenario>", 1))

    def problem(self, path: Iterable[Any], message: str) -> str:
        """One problem line: ``file:line: key.path: message``."""
        path = tuple(path)
        file, line = self.where(path)
        return f"{file}:{line}: {format_path(path)}: {message}"

    def drop_under(self, prefix: KeyPath) -> None:
        """Forget the marks under ``prefix`` (the value there was replaced)."""
        n = len(prefix)
        for key in [k for k in self.lines if len(k) > n and k[:n] == prefix]:
            del self.lines[key]


def _walk(node: yaml.Node, loader: yaml.SafeLoader, path: KeyPath, file: str,
          marks: Marks, problems: list[str]) -> None:
    marks.lines.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for knode, vnode in node.value:
            try:
                key = loader.construct_object(knode, deep=True)
            except yaml.YAMLError:
                key = getattr(knode, "value", "?")
            line = knode.start_mark.line + 1
            if isinstance(key, (list, dict)):
                continue
            if key in seen:
                problems.append(f"{file}:{line}: {format_path(path + (key,))}: duplicate key "
                                f"(first at line {seen[key]}); YAML would silently keep only the last "
                                "one — remove one of them")
            seen[key] = line
            marks.lines[path + (key,)] = (file, line)
            _walk(vnode, loader, path + (key,), file, marks, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            marks.lines[path + (i,)] = (file, item.start_mark.line + 1)
            _walk(item, loader, path + (i,), file, marks, problems)


def _parse(path: Path) -> tuple[Any, Marks]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"scenario file {file}", [f"{file}: file not found; check the path"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"scenario file {file}", [
            f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(f"scenario file {file}", [f"{file}:1: the file is empty; "
                                                          "a scenario needs at least `county:`"])
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"scenario file {file}", [f"{file}:{line}: YAML syntax error: {what}; "
                                                      "check indentation and quoting"]) from None
    finally:
        loader.dispose()
    marks = Marks()
    problems: list[str] = []
    loader = yaml.SafeLoader("")
    _walk(node, loader, (), file, marks, problems)
    loader.dispose()
    if problems:
        raise ScenarioError(f"scenario file {file}", problems)
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file {file}", [
            f"{file}:1: the top level must be a mapping of keys (county:, travel:, rules:, ...); "
            f"got a {type(data).__name__}"])
    return data, marks


def _matches(path: KeyPath, pattern: tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(p == "*" or p == k for k, p in zip(path, pattern))


def _resolve_paths(data: Any, base: Path, path: KeyPath = ()) -> Any:
    """Make the relative file paths of ``data`` absolute against ``base``."""
    if isinstance(data, dict):
        return {k: _resolve_paths(v, base, path + (k,)) for k, v in data.items()}
    if isinstance(data, str) and any(_matches(path, p) for p in PATH_KEYS):
        if path[0] == "recipes" and data in CANDIDATE_KEYWORDS:
            return data
        candidate = Path(data).expanduser()
        return str(candidate if candidate.is_absolute() else (base / candidate).resolve())
    return data


def _merge(base: Any, over: Any, marks: Marks, path: KeyPath = ()) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value, marks, path + (key,)) if key in base else value
        return out
    marks.drop_under(path)
    return over


def read_scenario_yaml(path: str | Path, *, _chain: tuple[Path, ...] = ()) -> tuple[dict[str, Any], Marks]:
    """Read a scenario file, following ``extends:``.

    Parameters
    ----------
    path : str or Path
        The scenario YAML file.

    Returns
    -------
    data : dict
        The merged scenario, relative paths made absolute, ``extends`` removed.
    marks : Marks
        File and line of every key path.

    Raises
    ------
    ScenarioError
        File missing, not UTF-8, YAML syntax error (with its line), duplicate keys, a top level
        that is not a mapping, or an ``extends`` chain that is missing or loops.
    """
    path = Path(path).resolve()
    data, marks = _parse(path)
    data = _resolve_paths(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, marks
    if not isinstance(parent, str):
        raise ScenarioError(f"scenario file {path}", [marks.problem(("extends",),
                            f"must be the path of another scenario file; got {parent!r}")])
    parent_path = (path.parent / parent).resolve()
    if parent_path in _chain + (path,):
        loop = " → ".join(str(p) for p in _chain + (path, parent_path))
        raise ScenarioError(f"scenario file {path}", [marks.problem(("extends",),
                            f"`extends` loops: {loop}; remove one of the links")])
    if not parent_path.is_file():
        raise ScenarioError(f"scenario file {path}", [marks.problem(("extends",),
                            f"file {parent_path} not found; give a path relative to {path.parent}")])
    base, base_marks = read_scenario_yaml(parent_path, _chain=_chain + (path,))
    merged_marks = Marks(dict(base_marks.lines))
    merged = _merge(base, data, merged_marks)
    merged_marks.lines.update({k: v for k, v in marks.lines.items() if k != ("extends",)})
    merged_marks.lines[()] = (str(path), 1)
    return merged, merged_marks
