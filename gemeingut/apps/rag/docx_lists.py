"""The number Word shows before a paragraph of a numbered list ("1.", "a)", "2.3", "§ 4"),
which a DOCX keeps as no text: a paragraph names its list (<w:numPr>: a numbering instance
w:numId and a level w:ilvl, its own or its style's) and numbering.xml says how each level of
that list counts and writes its number (ECMA-376 Part 1 §17.9). Read without it, the "3." a
citation ("Ziffer 3") names is in no chunk. Counted as Word counts: every instance of one
abstract list (<w:abstractNum>) continues one count, an instance's w:startOverride restarts a
level where the instance is first used, a level restarts after a higher one (unless its
w:lvlRestart says otherwise); each story (the body, a text box, a note, a header) counts its
own lists. A bullet is no number: nothing is read for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gemeingut.apps.rag.list_numbers import written

# <w:numFmt> values as `list_numbers.written` names them; others are written as digits
_STYLES = {"lowerLetter": "a", "upperLetter": "A", "lowerRoman": "i", "upperRoman": "I",
           "decimalZero": "01", "none": ""}  # fmt: skip

_LEVELS = 9  # a Word list has levels 0 to 8
_PLACEHOLDER = re.compile(r"%([1-9])")  # a level's number in a level's text ("%1.%2.")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# What stands on its own and counts its lists apart from the body.
_STORIES = {
    f"{{{_W}}}{name}" for name in ("txbxContent", "footnote", "endnote", "hdr", "ftr", "body")
}


@dataclass
class _List:
    """One numbering instance (<w:num>) as it counts: the abstract list it counts with, each
    level's definition (<w:lvl>, the instance's own where it overrides it) and the levels
    whose start it overrides."""

    counter: str  # the abstract list's id: instances of one count on one count
    levels: dict[int, Any]
    starts: dict[int, int] = field(default_factory=dict)


class Numbering:
    """The list numbers of a DOCX's paragraphs (`label`), counted story by story as it
    is asked for them."""

    def __init__(self, document: Any) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml import parse_xml

        parts = [
            r.target_part
            for r in document.part.rels.values()
            if r.reltype == RT.NUMBERING and not r.is_external
        ]
        numbering = parse_xml(parts[0].blob) if parts else None
        self._nums = _by_id(numbering, "num", "numId")
        self._abstracts = _by_id(numbering, "abstractNum", "abstractNumId")
        self._styles = _by_id(document.styles.element, "style", "styleId")
        self._default_style = _val(
            document.styles.element,
            "w:style[@w:type = 'paragraph' and (@w:default = '1' or @w:default = 'true')]"
            "/@w:styleId",
        )
        self._instances: dict[str, _List | None] = {}  # each numbering instance's, once read
        self._labels: dict[Any, str] = {}  # each numbered paragraph's (<w:p>) label
        self._counted: set[Any] = set()  # the stories counted

    def label(self, paragraph: Any) -> str:
        """What Word shows before `paragraph` (a <w:p>): its number as its list's level writes
        it, followed by a space ("1. ", "a) "), or nothing where it has none. A bullet is none."""
        story = _story_of(paragraph)
        if story not in self._counted:
            self._counted.add(story)
            self._count(story)
        return self._labels.get(paragraph, "")

    def _count(self, story: Any) -> None:
        """The label of each numbered paragraph in `story`, counted in document order."""
        from docx.oxml.ns import qn

        counts: dict[str, list[int | None]] = {}
        started: set[tuple[str, int]] = set()  # (instance, level) used so far
        for paragraph in story.iter(qn("w:p")):
            if _story_of(paragraph) is not story or _xpath("w:pPr/w:rPr/w:del")(paragraph):
                continue  # another story's, or joined to the next one (its mark deleted)
            found = self._list_of(paragraph)
            if found is None:
                continue
            num, level, instance = found
            values = counts.setdefault(instance.counter, [None] * _LEVELS)
            if level in instance.starts and (num, level) not in started:
                values[level] = None  # the instance restarts the level where it is first used
            started.add((num, level))
            start = instance.starts.get(level, _start(instance.levels.get(level)))
            current = values[level]
            values[level] = start if current is None else current + 1
            for deeper in range(level + 1, _LEVELS):
                if _restarts(instance.levels.get(deeper), level):
                    values[deeper] = None
            label = self._written(instance, level, values)
            if label:
                self._labels[paragraph] = label

    def _written(self, instance: _List, level: int, values: list[int | None]) -> str:
        """A level's text ("%1.%2.") with each level's number in its format, and what follows
        it (a tab or a space as a space; <w:suff w:val="nothing"/> nothing)."""
        definition = instance.levels.get(level)
        if definition is None or _val(definition, "w:numFmt/@w:val") == "bullet":
            return ""
        legal = bool(_xpath("w:isLgl[not(@w:val = '0' or @w:val = 'false')]")(definition))

        def number(found: re.Match[str]) -> str:
            shown = int(found[1]) - 1
            of = instance.levels.get(shown)
            value = values[shown]
            value = _start(of) if value is None else value
            return _formatted(value, "decimal" if legal else _val(of, "w:numFmt/@w:val"))

        text = _PLACEHOLDER.sub(number, _val(definition, "w:lvlText/@w:val") or "")
        if not text.strip():
            return ""
        return text if _val(definition, "w:suff/@w:val") == "nothing" else f"{text} "

    def _list_of(self, paragraph: Any) -> tuple[str, int, _List] | None:
        """The numbering instance, level and list of a paragraph: its own <w:numPr>, what it
        leaves out from its style's (and the styles that style is based on); a style's level
        where the list names the style (<w:lvl><w:pStyle>). None for no list (w:numId 0)."""
        style = _val(paragraph, "w:pPr/w:pStyle/@w:val") or self._default_style
        num = _val(paragraph, "w:pPr/w:numPr/w:numId/@w:val")
        level = _val(paragraph, "w:pPr/w:numPr/w:ilvl/@w:val")
        for above in self._style_chain(style):
            num = num or _val(above, "w:pPr/w:numPr/w:numId/@w:val")
            level = level or _val(above, "w:pPr/w:numPr/w:ilvl/@w:val")
        if not num or num == "0":  # no list, or one the paragraph leaves (w:numId 0)
            return None
        if num not in self._instances:
            self._instances[num] = self._instance(num)
        instance = self._instances[num]
        if instance is None:
            return None
        if level is None:
            named = [n for n, d in instance.levels.items() if _val(d, "w:pStyle/@w:val") == style]
            level = str(named[0]) if named else "0"
        index = _number(level)
        if index is None or not 0 <= index < _LEVELS:
            return None
        return num, index, instance

    def _instance(self, num: str, linked: bool = False) -> _List | None:
        """A numbering instance's list: its abstract list's levels (those of the numbering
        style it links to, <w:numStyleLink>), its own overrides of them."""
        element = self._nums.get(num)
        if element is None:
            return None
        abstract_id = _val(element, "w:abstractNumId/@w:val") or ""
        abstract = self._abstracts.get(abstract_id)
        if abstract is None:
            return None
        link = _val(abstract, "w:numStyleLink/@w:val")
        style = self._styles.get(link or "")
        linked_num = _val(style, "w:pPr/w:numPr/w:numId/@w:val") if style is not None else None
        if link and linked_num and not linked:
            found = self._instance(linked_num, linked=True)
            if found is None:
                return None
            instance = _List(found.counter, dict(found.levels), dict(found.starts))
        else:
            levels = {
                n: d
                for d in _xpath("w:lvl")(abstract)
                if (n := _number(_val(d, "@w:ilvl"))) is not None
            }
            instance = _List(abstract_id, levels)
        for override in _xpath("w:lvlOverride")(element):
            level = _number(_val(override, "@w:ilvl")) or 0
            for definition in _xpath("w:lvl")(override):
                instance.levels[level] = definition
            start = _number(_val(override, "w:startOverride/@w:val"))
            if start is not None:
                instance.starts[level] = start
        return instance

    def _style_chain(self, style: str | None) -> list[Any]:
        """A paragraph style and each style it is based on, nearest first."""
        chain: list[Any] = []
        while style and (element := self._styles.get(style)) is not None:
            if element in chain:  # a style based on itself, in a damaged file
                break
            chain.append(element)
            style = _val(element, "w:basedOn/@w:val")
        return chain


def _story_of(paragraph: Any) -> Any:
    """The story a paragraph stands in: its text box, note, header, footer or the body."""
    for above in paragraph.iterancestors():
        if above.tag in _STORIES:
            return above
    return paragraph.getroottree().getroot()


def _by_id(parent: Any, tag: str, key: str) -> dict[str, Any]:
    """The `tag` children of `parent` (WordprocessingML) by their `key` attribute."""
    if parent is None:
        return {}
    return {_val(c, f"@w:{key}") or "": c for c in _xpath(f"w:{tag}")(parent)}


def _val(element: Any, path: str) -> str | None:
    """The first value `path` (an XPath to an attribute) finds in `element`, or None."""
    if element is None:
        return None
    found = _xpath(path)(element)
    return str(found[0]) if found else None


@cache
def _xpath(path: str) -> Any:
    """`path` compiled, its prefix w WordprocessingML's."""
    from lxml import etree

    return etree.XPath(path, namespaces={"w": _W})


def _start(definition: Any) -> int:
    """The number a level starts at (<w:start>; 0 where it says none, as the standard has it)."""
    return _number(_val(definition, "w:start/@w:val")) or 0


def _number(text: str | None) -> int | None:
    """An attribute's whole number, or None where it is none (a damaged file's "x")."""
    return int(text) if text is not None and re.fullmatch(r"-?[0-9]{1,9}", text) else None


def _restarts(definition: Any, used: int) -> bool:
    """Whether a level restarts where level `used` (higher) is used: after every higher level
    unless <w:lvlRestart> names the level after which it does (0: never)."""
    after = _number(_val(definition, "w:lvlRestart/@w:val"))
    return after is None or used < after


def _formatted(value: int, kind: str | None) -> str:
    """A level's number in its <w:numFmt>; a format in words or another script as digits
    (decimal, as the standard has it, where the format is absent)."""
    return written(value, _STYLES.get(kind or "", "1"))
