"""The number Writer shows before a paragraph of a numbered list ("1.", "a)", "2.3"), which
an ODT keeps as no text: a list (<text:list>) names its list style, whose level styles say
how each level counts and writes its number (ODF 1.2 Part 1 §16.30). Read without it, the
"3." a citation ("Ziffer 3") names is in no chunk. `number_lists` writes each number into its
paragraph as Writer shows it, counted as Writer counts: a list counts from its level's start
(or an item's text:start-value), a list continues the one before it of its style
(text:continue-numbering) or the one it names (text:continue-list), a level restarts after a
higher one. A bullet is no number: nothing is written for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gemeingut.apps.rag.list_numbers import written

_NUMBER = "list-level-style-number"


def number_lists(document: Any) -> None:
    """Each paragraph that a numbered list's item begins with (odfpy) begins with its number
    and a space ("3. "), in the body and the page styles' headers and footers."""
    _Lists(document).walk(document.text)
    _Lists(document).walk(document.masterstyles)


class _Lists:
    """The lists read so far: their counts, by their xml:id and by their list style."""

    def __init__(self, document: Any) -> None:
        from odf.namespaces import STYLENS, TEXTNS

        styles = [*_children(document.styles), *_children(document.automaticstyles)]
        self.styles = {
            s.getAttrNS(STYLENS, "name"): {
                level.getAttrNS(TEXTNS, "level"): level for level in _children(s)
            }
            for s in styles
            if s.qname == (TEXTNS, "list-style")
        }
        self.paragraph_styles = {
            s.getAttrNS(STYLENS, "name"): s for s in styles if s.qname == (STYLENS, "style")
        }
        self.by_id: dict[str, dict[int, int]] = {}
        self.by_style: dict[str, dict[int, int]] = {}

    def walk(self, element: Any) -> None:
        """Number each list in `element` (a list in another's item is numbered with it)."""
        from odf.namespaces import TEXTNS

        for child in _children(element):
            if child.qname == (TEXTNS, "list"):
                self.list(child, self.style_of(child), 1, None)
            else:
                self.walk(child)

    def list(self, element: Any, style: str, depth: int, counts: dict[int, int] | None) -> None:
        """Number the items of a list at level `depth` (from 1) with `style`'s level styles:
        a list in the top level starts its counts, or continues another's."""
        from odf.namespaces import TEXTNS, XMLNS

        if counts is None:
            named = element.getAttrNS(TEXTNS, "continue-list")
            if named in self.by_id:
                counts = self.by_id[named]
            elif element.getAttrNS(TEXTNS, "continue-numbering") == "true":
                counts = self.by_style.get(style, {})
            else:
                counts = {}
            self.by_style[style] = counts
            if own := element.getAttrNS(XMLNS, "id"):
                self.by_id[own] = counts
        for item in _children(element):
            numbered = item.qname != (TEXTNS, "list-item")  # a list header has no number
            for child in _children(item):
                if child.qname == (TEXTNS, "list"):
                    self.list(child, style, depth + 1, counts)
                elif child.qname in ((TEXTNS, "p"), (TEXTNS, "h")) and not numbered:
                    numbered = True
                    start = item.getAttrNS(TEXTNS, "start-value")
                    self.number(child, self.styles.get(style, {}), depth, counts, start)
                else:
                    self.walk(child)

    def number(
        self,
        paragraph: Any,
        levels: dict[str, Any],
        depth: int,
        counts: dict[int, int],
        start: str | None,
    ) -> None:
        """Count `paragraph` at level `depth` and write its number before its text."""
        from odf.element import Text
        from odf.namespaces import STYLENS, TEXTNS

        level = levels.get(str(depth))
        if start is not None and start.isdecimal():
            counts[depth] = int(start)
        else:
            counts[depth] = counts[depth] + 1 if depth in counts else _start(level)
        for deeper in [d for d in counts if d > depth]:
            del counts[deeper]
        if level is None or level.qname[1] != _NUMBER or not str(paragraph).strip():
            return
        levels_shown = level.getAttrNS(TEXTNS, "display-levels") or ""
        shown = int(levels_shown) if levels_shown.isdecimal() else 1
        numbers = []
        for above in range(max(1, depth - shown + 1), depth + 1):
            of = levels.get(str(above))
            value = counts.get(above, _start(of))
            numbers.append(_formatted(value, of) if of is not None else str(value))
        written = ".".join(n for n in numbers if n)
        prefix = level.getAttrNS(STYLENS, "num-prefix") or ""
        suffix = level.getAttrNS(STYLENS, "num-suffix") or ""
        label = f"{prefix}{written}{suffix}"
        if not label.strip():
            return
        label += "" if _followed_by(level) == "nothing" else " "
        if paragraph.firstChild is None:
            paragraph.appendChild(Text(label))
        else:
            paragraph.insertBefore(Text(label), paragraph.firstChild)

    def style_of(self, element: Any) -> str:
        """A top-level list's style: its own, else its first paragraph's paragraph style's
        (or that style's parent's)."""
        from odf.namespaces import STYLENS, TEXTNS

        own = element.getAttrNS(TEXTNS, "style-name")
        if own:
            return own
        paragraph = next(_paragraphs(element), None)
        name = paragraph.getAttrNS(TEXTNS, "style-name") if paragraph is not None else None
        seen: set[str] = set()
        while name and name not in seen and (style := self.paragraph_styles.get(name)):
            seen.add(name)
            if listed := style.getAttrNS(STYLENS, "list-style-name"):
                return listed
            name = style.getAttrNS(STYLENS, "parent-style-name")
        return ""


def _children(element: Any) -> Iterator[Any]:
    """The child elements of an odfpy element (not the text between them)."""
    return (c for c in getattr(element, "childNodes", []) if getattr(c, "qname", None))


def _paragraphs(element: Any) -> Iterator[Any]:
    """The paragraphs and headings in `element`, in document order."""
    from odf.namespaces import TEXTNS

    for child in _children(element):
        if child.qname in ((TEXTNS, "p"), (TEXTNS, "h")):
            yield child
        else:
            yield from _paragraphs(child)


def _start(level: Any) -> int:
    """The number a level starts at (text:start-value, else 1)."""
    from odf.namespaces import TEXTNS

    start = level.getAttrNS(TEXTNS, "start-value") if level is not None else None
    return int(start) if start and start.isdecimal() else 1


def _formatted(value: int, level: Any) -> str:
    """A level's number in its style:num-format ("1", "a", "A", "i", "I"; none: ""); another
    script's digits as digits."""
    from odf.namespaces import STYLENS

    if level.qname[1] != _NUMBER:
        return ""
    kind = level.getAttrNS(STYLENS, "num-format") or ""
    return written(value, kind, level.getAttrNS(STYLENS, "num-letter-sync") == "true")


def _followed_by(level: Any) -> str | None:
    """What follows a level's number (text:label-followed-by: "listtab", "space", "nothing")."""
    from odf.namespaces import TEXTNS

    for properties in _children(level):
        for alignment in _children(properties):
            if followed := alignment.getAttrNS(TEXTNS, "label-followed-by"):
                return followed
    return None
