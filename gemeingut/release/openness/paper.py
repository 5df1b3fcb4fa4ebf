"""What counts as a research paper in a rating: a document of real length, not a file by name.

The MOF's research paper is a paper on the model's development; a placeholder, an empty file or
two lines under a title are none, so a paper counts only when `paper/` holds one document that
reads as a paper: Markdown, HTML, DOCX or ODT (read as the assistants read them, in any
encoding they read: administrations write in these), TeX, reStructuredText or plain text, of
at least `MIN_WORDS` words under at least `MIN_HEADINGS` headings (a title and sections), or a
PDF whose text layer holds at least `MIN_WORDS` words (a PDF marks no headings a reader can
tell from its text); either with at least `MIN_DISTINCT` different words, so that one
sentence copied until it is long enough is no paper. A folder's text files count together
where none does alone (a LaTeX project's sections in files of their own). Words are those of
any script; Chinese and Japanese, written without spaces, count each character as a word (as
word processors count them), so that a paper in those languages is not judged by its
punctuation. This is a floor that tells a paper
from a stub, not a review of it: the rating's detail names the document with its words and
headings, and the rule.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, recorded
from gemeingut.release.openness.file_content import Examined, folder_files, noted, said_of
from gemeingut.release.openness.mof import Found
from gemeingut.release.openness.sentences import joined

MIN_WORDS = 300
MIN_HEADINGS = 3
MIN_DISTINCT = 100  # different words (case aside): a repeated sentence is no paper
_READ_LIMIT = 8 << 20  # characters of a text paper read
_PDF_PAGES = 200  # pages of a PDF read for its text
# Kana and Han ideographs: one word each; every other script's words run between spaces
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}](?:[^\W{_CJK}]|['’-])*")
_READ = (".md", ".markdown", ".html", ".htm", ".docx", ".odt")  # as the assistants read them
_TEXT = (".txt", ".rst")  # headings underlined, which the assistants' reader does not know
_TEX = re.compile(
    r"\\(?:title|part|chapter|section|subsection|subsubsection|paragraph)\*?\s*[\[{]"
    r"|\\begin\{abstract\}"
)
_TEX_COMMAND = re.compile(r"\\[a-zA-Z@]+\*?|\\.")
_TEX_COMMENT = re.compile(r"(?<!\\)%.*$", re.MULTILINE)
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_UNDERLINE = re.compile(r"^ {0,3}([=\-~^*+#])\1{2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
Read = Examined  # one file of `paper/`: whether it is a paper, and what it holds, said


def rule() -> Message:
    """The rule, as the detail and README say it."""
    return _(
        "a research paper counts from {words} words under {headings} headings (Markdown, TeX, "
        "HTML, text, DOCX or ODT), or {words} words of text in a PDF, with at least {distinct} "
        "different words (a Chinese or Japanese character counts as a word)",
        words=str(MIN_WORDS),
        headings=str(MIN_HEADINGS),
        distinct=str(MIN_DISTINCT),
    )


def as_paper(part: Found, root: Path) -> Found:
    """`part`, found by its paths below `root`, where one of them reads as a paper by the
    rule; else missing, and its detail says why. Every rating (bundle and folder) judges
    its paper here, and says the rule either way."""
    if not part.present:
        return part
    read = [r for rel in part.paths for r in read_papers(root, rel)]
    papers = [r for r in read if r.counts]
    if papers:
        return noted(part, joined([said_of(papers[:1]), rule()]))
    said = said_of(read) if read else _("{path}: empty folder", path=part.paths[0])
    return Found(part.component, (), part.licence, False, recorded(joined([said, rule()])))


def read_papers(root: Path, rel: str) -> list[Read]:
    """Every file of `rel` (a folder, or one file) read as a paper, those that count first."""
    target = root / rel
    files = folder_files(target) if target.is_dir() else [target]
    read = [read_paper(p, p.relative_to(root).as_posix()) for p in files]
    if target.is_dir() and not any(r.counts for r in read):
        read += _together(files, rel)
    return sorted(read, key=lambda r: (not r.counts, r.path))


def _together(files: list[Path], rel: str) -> list[Read]:
    """The text files of a folder read as one paper, where there are several: a LaTeX
    project's `\\input` sections, a paper written in chapters (none counts alone)."""
    parts = []
    for path in files:
        try:
            counted = _counts(path, path.suffix.lower())
        except (OSError, InputError):
            continue
        if counted is not None:
            parts.append(counted)
    if len(parts) < 2:
        return []
    words = [word for part, _count in parts for word in part]
    judged = _judged(rel, words, sum(count for _part, count in parts))
    files_said = _("{count} files", count=str(len(parts)))
    return [
        Read(rel, judged.counts, _("{files} together: {note}", files=files_said, note=judged.note))
    ]


def read_paper(path: Path, rel: str) -> Read:
    """Whether the file is a research paper by the rule, and its words and headings."""
    if not path.is_file():
        return Read(rel, False, _("not in the release"))
    if path.stat().st_size == 0:
        return Read(rel, False, _("empty"))
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            return _pdf(path, rel)
        counted = _counts(path, suffix)
    except OSError as error:
        return Read(rel, False, _("cannot be read: {error}", error=str(error)))
    except InputError:  # its words name the file by its path here, not in the bundle
        return Read(rel, False, _("damaged, or not a {kind} file", kind=suffix[1:].upper()))
    if counted is None:
        return Read(
            rel,
            False,
            _("not a document read as a paper (PDF, Markdown, TeX, HTML, text, DOCX, ODT)"),
        )
    return _judged(rel, *counted)


def _counts(path: Path, suffix: str) -> tuple[list[str], int] | None:
    """The words and headings of a paper other than a PDF; None for another kind of file, an
    `InputError` for one the assistants' reader finds damaged."""
    if suffix in _READ:
        return _passages(path)
    if suffix == ".tex":
        return _tex(_text(path))
    if suffix in _TEXT:
        return _markup(_text(path))
    return None


def _judged(rel: str, words: list[str], headings: int) -> Read:
    worded = _words(len(words))  # apart: a `_` inside another's arguments is never extracted
    headed = plural(headings, _("1 heading"), _("{count} headings", count=str(headings)))
    said = _("{words} under {headings}", words=worded, headings=headed)
    if len(words) < MIN_WORDS or headings < MIN_HEADINGS:
        return Read(rel, False, _("only {said}", said=said))
    return _varied(rel, words, said)


def _varied(rel: str, words: list[str], said: Message) -> Read:
    """`said` of a document long enough: a paper where its words are varied enough."""
    distinct = len({word.casefold() for word in words})
    if distinct >= MIN_DISTINCT:
        return Read(rel, True, said)
    different = plural(
        distinct, _("1 different word"), _("{count} different words", count=str(distinct))
    )
    return Read(rel, False, _("{said}, but only {different}", said=said, different=different))


def _words(count: int) -> Message:
    return plural(count, _("1 word"), _("{count} words", count=str(count)))


def _text(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(_READ_LIMIT)


def _markup(text: str) -> tuple[list[str], int]:
    """Words and headings of reStructuredText or plain text: `#` headings and lines
    underlined with `===`/`---` (setext, reST), code blocks aside."""
    prose, headings, previous, fenced = [], 0, "", False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced, previous = not fenced, ""
            continue
        if fenced:
            continue
        if _ATX.match(line) or (_UNDERLINE.match(line) and _WORD.search(previous)):
            headings += 1
        if not _UNDERLINE.match(line):
            prose.append(line)
        previous = line
    return _WORD.findall("\n".join(prose)), headings


def _tex(text: str) -> tuple[list[str], int]:
    """Words outside TeX's commands and comments, and its title, abstract and sectioning."""
    text = _TEX_COMMENT.sub("", text)
    headings = len(_TEX.findall(text))
    body = text.split("\\begin{document}", 1)[-1]
    return _WORD.findall(_TEX_COMMAND.sub(" ", body)), headings


def _passages(path: Path) -> tuple[list[str], int]:
    """Markdown, HTML, DOCX or ODT as the assistants' reader reads it (`apps/rag/readers.py`):
    the words of its passages and of its headings, each heading once (the paths its passages
    stand under)."""
    from gemeingut.apps.rag.passages import PATH_SEPARATOR
    from gemeingut.apps.rag.readers import read_document

    headings = set()
    passages = read_document(path)
    for passage in passages:
        path_of = (passage.section or "").split(PATH_SEPARATOR)
        headings |= {tuple(path_of[:n]) for n in range(1, len(path_of) + 1) if path_of[n - 1]}
    # a heading with nothing under it is a passage of its own words (`Outline`): counted once
    texts = [p.text for p in passages if p.text != (p.section or "").split(PATH_SEPARATOR)[-1]]
    said = texts + [heading[-1] for heading in headings]
    return _WORD.findall("\n".join(said)), len(headings)


def _pdf(path: Path, rel: str) -> Read:
    """A PDF counts by the words of its text layer (a scan without one has none to count)."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL + 1)  # its warnings are English noise
    try:
        reader = PdfReader(path)
        pages = len(reader.pages)
        words = [
            word
            for page in reader.pages[:_PDF_PAGES]
            for word in _WORD.findall(page.extract_text() or "")
        ]
    except FileNotDecryptedError:
        return Read(rel, False, _("an encrypted PDF, whose text cannot be read"))
    except (PyPdfError, ValueError, KeyError, TypeError):  # pypdf's words: English, technical
        return Read(rel, False, _("damaged, or not a {kind} file", kind="PDF"))
    finally:
        quiet.setLevel(level)
    paged = plural(pages, _("1 page"), _("{count} pages", count=str(pages)))
    said = _("a PDF of {pages} with {words} of text", pages=paged, words=_words(len(words)))
    if len(words) >= MIN_WORDS:
        return _varied(rel, words, said)
    return Read(rel, False, _("only {said}", said=said))
