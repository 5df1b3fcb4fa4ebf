"""What every document reader makes and shares: the `Passage` (text, page, section), the
`Outline` of headings above the text being read, whitespace as a reader sees it, a table
row as one line and an image's description a word apart. One place, so that a table's row
reads alike in DOCX, ODT, HTML and Markdown ("Frist | 14 Tage"), a picture between words
alike, and a section's path alike in every format."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

PATH_SEPARATOR = " › "  # between the headings of a section's path
CELL = " | "  # between the cells of a table row
# A line that ends in a hyphen before one of these words is a suspended compound
# ("Straßen-/und Wegebau"), not a word hyphenated at the line end ("Verwal-/tung").
_LINE_END_HYPHEN = re.compile(
    r"(\w)-[ \t]*\r?\n[ \t]*(?:"
    r"(?P<conjunction>(?:und|oder|bzw\.|beziehungsweise|sowie|als|noch|wie|bis|and|or|nor)(?!\w))"
    r"|(?=[a-zäöüß]))"
)

# A picture's "description" that is only a file's name or path, as a program fills it in.
_FILE_NAME = re.compile(
    r"(?:\S*|.*[\\/]\S*)\.(?:png|jpe?g|gif|bmp|tiff?|webp|svg|emf|wmf|heic)",
    re.IGNORECASE,
)

# A page as printed: its number, or its label where that is no number ("iii", "A-1").
Page = int | str


@dataclass(frozen=True)
class Passage:
    text: str
    page: Page | None = None  # the printed page, for paged formats (PDF)
    section: str | None = None  # the headings above the text, joined by PATH_SEPARATOR
    # the file's line (from 1) the text starts on, for text files: each "\n" in `text` is the
    # end of one of the file's lines
    line: int | None = None


def table_row(cells: Iterable[str]) -> str:
    """A table's row as one line, its cells apart by " | ", empty cells left out: a row's
    meaning ("Frist | 14 Tage") is in one chunk, and a search finds its words together."""
    return CELL.join(cell.strip() for cell in cells if cell.strip())


def text_lines(texts: Iterable[str]) -> str:
    """Texts read apart (a note's paragraphs, a header's lines) as one text, a line each,
    empty ones left out."""
    return "\n".join(text.strip() for text in texts if text.strip())


def words_apart(pieces: Iterable[tuple[str, bool]]) -> str:
    """A line's pieces of text as one, each piece marked apart (an image's description, ""
    for an image without one) a word apart from the text right beside it, as a reader sees
    a picture between words: "Lageplan[picture]zeigt" is not the word "Lageplanzeigt"."""
    text, parted = "", False  # `parted`: whether an image stands right before what comes
    for piece, apart in pieces:
        if not piece:
            parted = parted or apart
            continue
        if (apart or parted) and text[-1:].strip() and piece[:1].strip():
            text += " "
        text, parted = text + piece, apart
    return text


def image_description(texts: Iterable[str], name: str = "") -> str:
    """A picture's description from its texts (a title, an alt text), each once and its
    whitespace one space; not one that is only a file's name or path ("Lageplan.png",
    "C:\\Users\\…\\IMG_0412.JPG": what older Words and many web editors fill in as the alt
    text), which names no content, and may name the person who inserted it; nor one that is
    the picture's `name` in its document, as the program named it ("Grafik 1", "Bild1")."""
    said = (" ".join(text.split()) for text in texts)
    named = " ".join(name.split())
    return " ".join(
        dict.fromkeys(t for t in said if t and t != named and not _FILE_NAME.fullmatch(t))
    )


def join_line_end_hyphens(text: str) -> str:
    """A word a line end hyphenated put together again ("Verwal-/tung"); a compound keeps its
    hyphen ("Bund-/Länder": a capital follows), a suspended one its hyphen and space
    ("Straßen-/und Wegebau")."""
    return _LINE_END_HYPHEN.sub(
        lambda m: f"{m[1]}- {m['conjunction']}" if m["conjunction"] else m[1], text
    )


def tidy(text: str) -> str:
    """Whitespace as a reader sees it, words hyphenated at a line end joined."""
    text = join_line_end_hyphens(text)
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\s*\n\s*", "\n", text)).strip()


class Outline:
    """The headings above the text being read: a heading closes every open heading of its
    level or a deeper one (the title is level 0). A heading closed with no text and no
    subsection under it is a passage of its own words (`enter`, `end`): a repealed
    "§ 55 (weggefallen)" over a lone "-", a document's last heading or an empty section's
    would otherwise be in no chunk at all."""

    def __init__(self, title: str | None = None) -> None:
        # `title`: an HTML page's <title>, spaced as a browser's tab shows it; it names the
        # sections, yet no reader sees it on the page (a page of nothing else has no text)
        title = " ".join((title or "").split())
        self.open: list[tuple[int, str]] = [(0, title)] if title else []
        self.bare = False  # whether the last heading opened has nothing under it yet
        self.line: int | None = None  # the file's line of the last heading, in a text file

    def passage(self, text: str, line: int | None = None) -> Passage:
        """`text` under the open headings (from the file's `line`, in a text file)."""
        self.bare = self.bare and not text.strip()
        return Passage(text, section=self.section, line=line)

    def enter(self, level: int, heading: str, line: int | None = None) -> Passage:
        """Open `heading` (on the file's `line`, in a text file); returned: the last heading
        as a passage where it closes bare, else an empty one (dropped as all empty ones)."""
        heading = " ".join(heading.split())
        if not heading:  # an empty heading closes nothing: the text goes on under the last
            return Passage("")
        closed = self.end() if self.open and level <= self.open[-1][0] else Passage("")
        self._open(level, heading, line)
        return closed

    def end(self) -> Passage:
        """The last heading as a passage where nothing stands under it, else an empty one."""
        return self.passage(self.open[-1][1], self.line) if self.bare else Passage("")

    def _open(self, level: int, heading: str, line: int | None) -> None:
        while self.open and self.open[-1][0] >= level:
            self.open.pop()
        self.open.append((level, heading))
        self.bare, self.line = True, line

    @property
    def section(self) -> str | None:
        return PATH_SEPARATOR.join(heading for _level, heading in self.open) or None

    @property
    def title(self) -> str | None:
        """The document's title (the heading of level 0), if it has one."""
        return self.open[0][1] if self.open and self.open[0][0] == 0 else None
