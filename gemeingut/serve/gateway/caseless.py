"""Case-insensitive regular expressions searched in the text's lower case: the same matches as
`re.IGNORECASE`, faster (bench/policy_rules.py: 1.5 to 1.7 times for most shipped rules).

Python's matcher skips an alternative whose first letter cannot match only where that letter
is a plain literal; under `re.IGNORECASE` every letter is a case-ignoring one, so each of a
rule's hundreds of alternatives is entered and left again at every word. Here the pattern's
letters are written in lower case and compiled without the flag, and the text is searched in
lower case (the same length: spans are the text's own). Exactly the same matches, because
`re.IGNORECASE` compares lower cases: each letter matches the characters whose lower case is
its lower case (or one Python counts as the same: ı and i, ſ and s, ς and σ); sets and
classes keep the flag and read a lower-case letter as its capital. A pattern with case-
sensitive letters (`(?-i:[A-Z])`), back-references or ASCII or LOCALE case rules, or a Python
whose regular-expression internals differ, is compiled by `re` as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:  # the parser and compiler behind `re` (Python 3.11+)
    import _sre
    from re import _compiler, _constants, _parser
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover - another Python's internals: `re` as it is
    _compiler = None

# The one character whose `str.lower` is longer than Python's case-ignoring lower case (İ: i
# and a combining dot); the tests check this for the running Python's Unicode data.
LONGER_LOWER = {"\u0130": "i"}


class LowerCasePattern:
    """A pattern compiled for text in lower case: `search` and `finditer` as `re.Pattern`'s."""

    def __init__(self, pattern: str, compiled: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.compiled = compiled

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The first match in `text` (`lowered`: its `lower_case`, where already made)."""
        return self.compiled.search(lower_case(text) if lowered is None else lowered)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(lower_case(text))


def lower_case(text: str) -> str:
    """`text` with each character as `re.IGNORECASE` compares it (one for one)."""
    if not text.isascii():
        for char, lower in LONGER_LOWER.items():
            text = text.replace(char, lower)
    return text.lower()


def compile_caseless(pattern: str, flags: int = 0) -> re.Pattern[str] | LowerCasePattern:
    """`re.compile(pattern, flags)`, or a `LowerCasePattern` with the same matches."""
    if _compiler is None or not flags & re.IGNORECASE:
        return re.compile(pattern, flags)
    tree = _parser.parse(pattern, flags)
    if tree.state.flags & (re.ASCII | re.LOCALE) or not _readable_in_lower_case(tree, True):
        return re.compile(pattern, flags)
    lowered = _convert(tree, True)
    lowered.state.flags &= ~re.IGNORECASE
    return LowerCasePattern(pattern, _compiler.compile(lowered, flags & ~re.IGNORECASE))


def _readable_in_lower_case(tree, ignore: bool) -> bool:
    """Whether no part of `tree` tells capitals apart (where `ignore` is off, a letter or a set
    with letters), refers back to a group or sets ASCII or LOCALE rules."""
    c = _constants
    for op, av in tree.data:
        if op is c.SUBPATTERN:
            _group, add, delete, sub = av
            inner = (ignore or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE
            if (add | delete) & (re.ASCII | re.LOCALE) or not _readable_in_lower_case(sub, inner):
                return False
            continue
        tells_case = (op in (c.LITERAL, c.NOT_LITERAL) and _sre.unicode_iscased(av)) or (
            op is c.IN and not _uncased_set(av)
        )
        if op is c.GROUPREF or (tells_case and not ignore):
            return False
        if not all(_readable_in_lower_case(sub, ignore) for sub in _subpatterns(op, av)):
            return False
    return True


def _uncased_set(items: list) -> bool:
    """Whether a set names no letter with a capital (its classes read lower case alike)."""
    c = _constants
    for op, av in items:
        if op in (c.LITERAL, c.NOT_LITERAL) and _sre.unicode_iscased(av):
            return False
        if op is c.RANGE and any(map(_sre.unicode_iscased, range(av[0], av[1] + 1))):
            return False
    return True


def _subpatterns(op, av) -> list:
    c = _constants
    if op is c.SUBPATTERN:
        return [av[3]]
    if op is c.BRANCH:
        return list(av[1])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return [av[2]]
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [av[1]]
    if op is c.ATOMIC_GROUP:
        return [av]
    if op is c.GROUPREF_EXISTS:
        return [sub for sub in av[1:] if sub is not None]
    return []


def _convert(tree, ignore: bool):
    """`tree` with each letter whose case is ignored in lower case (and its equals), and such
    sets keeping the flag."""
    return _parser.SubPattern(
        tree.state, [_node(op, av, ignore, tree.state) for op, av in tree.data]
    )


def _node(op, av, ignore: bool, state) -> tuple:
    c = _constants
    if op is c.SUBPATTERN:
        _group, add, delete, sub = av
        inner = (ignore or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE
        return op, (*av[:3], _convert(sub, inner))
    if op is c.BRANCH:
        return op, (av[0], [_convert(sub, ignore) for sub in av[1]])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return op, (av[0], av[1], _convert(av[2], ignore))
    if op in (c.ASSERT, c.ASSERT_NOT):
        return op, (av[0], _convert(av[1], ignore))
    if op is c.ATOMIC_GROUP:
        return op, _convert(av, ignore)
    if op is c.GROUPREF_EXISTS:
        no = _convert(av[2], ignore) if av[2] is not None else None
        return op, (av[0], _convert(av[1], ignore), no)
    if not ignore:
        return op, av
    if op in (c.LITERAL, c.NOT_LITERAL) and _sre.unicode_iscased(av):
        lower = _sre.unicode_tolower(av)
        equals = _EXTRA_CASES.get(lower, ())
        if not equals:
            return op, lower
        negate = [(c.NEGATE, None)] if op is c.NOT_LITERAL else []
        return c.IN, negate + [(c.LITERAL, code) for code in (lower, *equals)]
    if op is c.IN:  # a set keeps the flag: it reads a letter in lower case as its capital too
        return c.SUBPATTERN, (None, re.IGNORECASE, 0, _parser.SubPattern(state, [(op, av)]))
    return op, av
