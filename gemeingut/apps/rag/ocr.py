"""A scanned PDF page read with Tesseract: its text for the collection, its words' boxes for
marking a cited passage on the page's image.

Administrations keep many documents as scans, whose pages have an image but no text layer.
Such a page is drawn at `DPI` (PDFium) and read by Tesseract (Debian's `tesseract-ocr` and
`tesseract-ocr-deu`, through `pytesseract`) in German and English; the same drawing gives the
same words at ingest and in the source viewer. Without Tesseract a scanned page is an error that
says what to install, never a page silently left empty.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.apps.rag.readers import without_ligatures
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

if TYPE_CHECKING:
    from PIL.Image import Image

DPI = 300  # what Tesseract reads print best at
LANGUAGES = "deu+eng"
IMAGE_OBJECT = 3  # PDFium's FPDF_PAGEOBJ_IMAGE
# How `words` makes words of Tesseract's answer: raise it with every change to it (or to
# `scan_image`'s drawing), and every kept reading (`ocr_cache.py`) is read anew.
WORDS_FORMAT = 1
_TESSDATA = re.compile(r'"([^"]+)"')  # the folder `tesseract --list-langs` names


@dataclass(frozen=True)
class Word:
    text: str
    line: tuple[int, int, int]  # Tesseract's block, paragraph and line
    box: tuple[float, float, float, float]  # left, top, width, height as fractions of the page


def scan_image(sheet: Any) -> Image | None:
    """The page drawn for Tesseract if it is a scan (an image, no text layer), else None. Called
    under PDFium's lock; the reading itself (`words`) needs no lock."""
    if sheet.get_textpage().count_chars() > 0:
        return None
    if not any(item.type == IMAGE_OBJECT for item in sheet.get_objects()):
        return None
    return sheet.render(scale=DPI / 72).to_pil()


class _EngineKey:
    """`engine_key`'s last answer with what it rests on: the files Tesseract reads (its program
    and the trained data of `LANGUAGES`), by place, inode, size and change time. A package
    upgrade replaces them, so a server that runs on notices it at its next reading without a
    restart; while they are the same, the key is not computed again (two runs of Tesseract)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._files: tuple[Path, ...] = ()
        self._key: str | None = None

    def __call__(self) -> str | None:
        with self._lock:
            program = _program()
            stamp = _stamp((program, *self._files)) if program is not None else None
            if stamp is None or stamp != self._stamp:
                self._key, self._files = _computed_key()
                program = _program()
                self._stamp = _stamp((program, *self._files)) if program is not None else None
            return self._key


def _computed_key() -> tuple[str | None, tuple[Path, ...]]:
    """A digest of what makes Tesseract's words on a drawn page besides the page (`engine`),
    and the trained data files of its languages, there or not; (None, ()) without Tesseract."""
    found, trained = _engine()
    if found is None:
        return None, ()
    named = json.dumps(found, sort_keys=True).encode()
    return hashlib.sha256(named).hexdigest()[:16], trained


def _program() -> Path | None:
    """The Tesseract program pytesseract runs, resolved (PATH, links); None where none is."""
    import pytesseract

    found = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    return Path(found).resolve() if found else None


def _stamp(files: tuple[Path, ...]) -> tuple:
    """Each file's place, inode, size and change times; only its place where it is missing
    (a language's trained data installed later changes the stamp, too)."""
    stamps = []
    for path in files:
        try:
            state = path.stat()
        except OSError:
            stamps.append((str(path),))
            continue
        stamps.append(
            (str(path), state.st_ino, state.st_size, state.st_mtime_ns, state.st_ctime_ns)
        )
    return tuple(stamps)


engine_key = _EngineKey()  # the key of the kept readings (`ocr_cache.py`); None without Tesseract


def engine() -> dict[str, Any] | None:
    """Tesseract's version, its languages with a digest of each one's trained data (a newer
    `tesseract-ocr-deu` reads otherwise), the drawing's resolution and PDFium's build, and
    `WORDS_FORMAT`; None where Tesseract cannot be run."""
    return _engine()[0]


def _engine() -> tuple[dict[str, Any] | None, tuple[Path, ...]]:
    """`engine()`, and the trained data files it names."""
    import pypdfium2.version
    import pytesseract

    command = pytesseract.pytesseract.tesseract_cmd
    try:
        version = subprocess.run(
            [command, "--version"], capture_output=True, text=True, check=True
        ).stdout.split("\n", 1)[0]
        listed = subprocess.run(
            [command, "--list-langs"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None, ()
    where = _TESSDATA.search(listed)
    folder = Path(where[1]) if where else None
    trained = [folder / f"{lang}.traineddata" if folder else None for lang in LANGUAGES.split("+")]
    data = {
        lang: _digest(path) if path else None
        for lang, path in zip(LANGUAGES.split("+"), trained, strict=True)
    }
    found = {
        "tesseract": version.strip(),
        "languages": data,
        "dpi": DPI,
        "pdfium": str(pypdfium2.version.PDFIUM_INFO),
        "words": WORDS_FORMAT,
    }
    return found, tuple(path for path in trained if path is not None)  # there or not


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def words(image: Image, where: Message) -> list[Word]:
    """The words Tesseract reads in the image, in reading order; `where` names the page in an
    error (Tesseract missing)."""
    import pytesseract

    try:
        data = pytesseract.image_to_data(image, lang=LANGUAGES, output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as error:
        raise InputError(
            _(
                "{where} is a scanned page; reading it needs Tesseract: {problem}",
                where=where,
                problem=str(error).strip() or type(error).__name__,
            ),
            _("install Debian's tesseract-ocr and tesseract-ocr-deu, then ingest again"),
        ) from None
    width, height = image.size
    words = []
    for index, text in enumerate(data["text"]):
        if not text.strip():
            continue
        line = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        box = (
            data["left"][index] / width,
            data["top"][index] / height,
            data["width"][index] / width,
            data["height"][index] / height,
        )
        words.append(Word(text.strip(), line, box))
    return words


def page_text(found: list[Word]) -> str:
    """The words as text: a line break between Tesseract's lines, a space between words."""
    lines: list[list[str]] = []
    last = None
    for word in found:
        if word.line != last:
            lines.append([])
            last = word.line
        lines[-1].append(word.text)
    return "\n".join(" ".join(line) for line in lines)


def passage_boxes(found: list[Word], passage: str) -> list[tuple[float, float, float, float]]:
    """One box per line of the words that make up `passage` (whitespace aside); none when the
    passage is not among them."""
    wanted = "".join(passage.split())
    texts = [without_ligatures(word.text) for word in found]  # as the readers read them
    flat = "".join(texts)
    start = flat.find(wanted) if wanted else -1
    if start < 0:
        return []
    end = start + len(wanted)
    boxes: dict[tuple[int, int, int], list[float]] = {}
    position = 0
    for word, text in zip(found, texts, strict=True):
        first, position = position, position + len(text)
        if position <= start or first >= end:
            continue
        left, top, width, height = word.box
        right, bottom = left + width, top + height
        box = boxes.setdefault(word.line, [left, top, right, bottom])
        box[:] = [min(box[0], left), min(box[1], top), max(box[2], right), max(box[3], bottom)]
    return [(b[0], b[1], b[2] - b[0], b[3] - b[1]) for b in boxes.values()]
