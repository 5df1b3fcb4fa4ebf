"""YAML files that people write by hand (tender rules, the safety policy): read so that every
mistake can name its line, and the texts that say where it is.

PyYAML's node tree keeps the mark (line, column) of every key and item, which the plain data
does not; validation errors (pydantic's locations) are mapped back onto it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from gemeingut.i18n import Message, _, text
from gemeingut.i18n.validation import problem
from gemeingut.yaml_problems import said_problem


def compose(source: str) -> tuple[object, yaml.Node | None]:
    """The file's data and its node tree, which knows the line of every key and item."""
    loader = yaml.SafeLoader(source)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    finally:
        loader.dispose()


def node_line(node: yaml.Node, loc: tuple) -> int:
    """The 1-based line of pydantic's location in the file: of the deepest key or item that
    exists (a missing field: the line of the item or text that lacks it)."""
    line = node.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if getattr(k, "value", None) == str(part)]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1


def rule_location(data: object, loc: tuple) -> str:
    """'rule 3 (angebotsfrist), field at_least.minimum' from pydantic's location in a file
    whose `rules` are a list of items with an `id`."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") if isinstance(data, dict) else None
        rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else {}
        name = f" ({rule.get('id')})" if isinstance(rule, dict) and rule.get("id") else ""
        number, field = str(loc[1] + 1), ".".join(str(part) for part in loc[2:])
        if not field:  # the rule as a whole (no test, or more than one)
            return text(_("rule {number}{name}", number=number, name=name))
        return text(_("rule {number}{name}, field {field}", number=number, name=name, field=field))
    return text(_("field {field}", field=".".join(str(part) for part in loc)))


def where_wrong(
    data: object,
    root: yaml.Node | None,
    error: dict,
    known_at: Callable[[tuple], Iterable[str]],
    cutoff: float = 0.75,
) -> str:
    """'line 7, rule 2 (vertragsstrafe), field forbiden: is not a known setting; did you mean
    forbidden?' from one of pydantic's errors: where a person finds it in the file. `known_at`
    gives the keys known where a location stands; the key meant is the closest of them by
    `cutoff` (difflib's similarity)."""
    loc = tuple(error["loc"])
    said = text(problem(error))
    meant = _closest(loc[-1], known_at(loc), cutoff) if error["type"] == "extra_forbidden" else None
    if meant is not None:
        said = text(_("{problem}; did you mean {key}?", problem=said, key=meant))
    if not loc or root is None:
        return f"{text(_('(top level)'))}: {said}"
    where = text(_("line {line}", line=node_line(root, loc)))
    return f"{where}, {rule_location(data, loc)}: {said}"


def _closest(key: object, known: Iterable[str], cutoff: float) -> str | None:
    """The known key closest to a misspelt one (`forbiden` → `forbidden`), if one is close."""
    if not isinstance(key, str):
        return None
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=cutoff)
    return close[0] if close else None


def syntax_problem(path: Path, exc: yaml.YAMLError) -> Message:
    """'file, line N, column M: not YAML (…)': where the YAML breaks and what is wrong, in the
    reader's words (`yaml_problems`); a problem not known there keeps the parser's own
    (English) description, as it is the only one that says what it expected."""
    mark = getattr(exc, "problem_mark", None)
    found = str(getattr(exc, "problem", None) or exc)
    said = said_problem(found)
    if mark is None:
        return _("{path}: not YAML ({problem})", path=str(path), problem=said or found)
    return _(
        "{path}, line {line}, column {column}: not YAML ({problem})",
        path=str(path),
        line=mark.line + 1,
        column=mark.column + 1,
        problem=said or found,
    )
