"""A scanned PDF is OCR'd once: when a newer gemeingut reads a collection's documents again
(`READER_FORMAT` rose), Tesseract's reading of each page is taken from the collection's folder
(`ocr/`), keyed by the file's bytes and the engine; a changed file or another engine is read
anew, a kept reading that cannot be read is never served, and a document taken out takes its
readings with it. Counted by the ingest's report and the files under `ocr/`, with the real
Tesseract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytesseract
import pytest

from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection, remove
from gemeingut.apps.rag.ocr_cache import OCR_DIR
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.apps.rag.documents import PAGES, write_scanned_pdf
from tests.http_server import running_server
from tests.test_cli import invoke

KEY = "akten/scan.pdf"


def read_by_format(folder: Path, reader: int) -> None:
    """Mark every document of the collection in `folder` as read by reader format `reader`."""
    path = folder / COLLECTION_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        record["reader"] = reader
    path.write_text(json.dumps(meta), encoding="utf-8")


def readings(folder: Path) -> list[str]:
    """The kept readings of the collection in `folder`: `<file digest>/<entry>` each."""
    kept = folder / OCR_DIR
    return sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*") if p.is_file())


def chunks(root: Path) -> list[tuple[object, str]]:
    return [(c.page, c.text) for c in open_collection(root, "akten").chunks]


@pytest.fixture
def scanned(tmp_path: Path) -> tuple[Path, Path]:
    """Collection `akten` of a scanned PDF of two pages, ingested once."""
    docs = tmp_path / "akten"
    docs.mkdir()
    write_scanned_pdf(docs / "scan.pdf", PAGES[:2])
    root = tmp_path / "c"
    first = ingest(root, "akten", [docs])
    assert (first.added, first.ocr_pages_read, first.ocr_pages_reused) == ([KEY], 2, 0)
    return root, docs


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[None]:
    """Tesseract as another version of it: the same program, saying another version."""
    wrapper = tmp_path / "tesseract"
    wrapper.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "tesseract 99.0.0"; exit 0; fi\n'
        'exec tesseract "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    before = pytesseract.pytesseract.tesseract_cmd
    pytesseract.pytesseract.tesseract_cmd = str(wrapper)
    yield
    pytesseract.pytesseract.tesseract_cmd = before


def test_a_reader_format_change_takes_the_scanned_pages_from_the_kept_readings(
    scanned: tuple[Path, Path],
) -> None:
    root, docs = scanned
    folder = root / "akten"
    kept, read_first = readings(folder), chunks(root)
    assert len(kept) == 2 and all(k.startswith(kept[0].split("/")[0]) for k in kept)
    assert any("Zuschlagskriterien" in text for _page, text in read_first)

    read_by_format(folder, 1)  # a newer gemeingut reads it again
    again = ingest(root, "akten", [docs])
    assert again.reread == [KEY]
    assert (again.ocr_pages_read, again.ocr_pages_reused) == (0, 2)
    assert chunks(root) == read_first and readings(folder) == kept
    assert open_collection(root, "akten").outdated == []

    (folder / OCR_DIR / kept[0]).write_text("{kaputt", encoding="utf-8")  # never served
    read_by_format(folder, 1)
    mended = invoke("rag", "ingest", "akten", docs, "--root", root)
    said = " ".join(mended.output.split())
    assert mended.exit_code == 0, said
    assert (
        "gescannte Seiten: 1 mit Tesseract gelesen, 1 aus einer früheren Lesung übernommen" in said
    )
    assert chunks(root) == read_first and readings(folder) == kept


def test_another_engine_or_another_file_is_read_anew(
    scanned: tuple[Path, Path], other_engine: None
) -> None:
    root, docs = scanned
    folder = root / "akten"
    kept = readings(folder)
    read_by_format(folder, 1)
    again = ingest(root, "akten", [docs])
    assert (again.ocr_pages_read, again.ocr_pages_reused) == (2, 0)
    now = readings(folder)  # the other engine's entries replace the first's
    assert len(now) == 2 and not set(now) & set(kept)

    write_scanned_pdf(docs / "scan.pdf", PAGES[1:])  # the same name, other pages
    changed = ingest(root, "akten", [docs])
    assert changed.updated == [KEY]
    assert (changed.ocr_pages_read, changed.ocr_pages_reused) == (2, 0)
    assert {k.split("/")[0] for k in readings(folder)} != {k.split("/")[0] for k in now}
    assert any("Barrierefreiheit" in text for _page, text in chunks(root))


def test_a_document_taken_out_takes_its_readings_with_it(scanned: tuple[Path, Path]) -> None:
    root, _docs = scanned
    assert readings(root / "akten")
    remove(root, "akten", [KEY])
    assert readings(root / "akten") == []


def test_the_source_viewer_shows_a_scanned_page_as_the_ingest_read_it(
    scanned: tuple[Path, Path], model_dir: Path
) -> None:
    root, _docs = scanned
    [entry] = [p for p in (root / "akten" / OCR_DIR).rglob("2-*.json")]
    kept = json.loads(entry.read_text(encoding="utf-8"))
    last = kept["words"][-1]
    kept["words"].append(["GEMERKT", last[1], last[2]])  # a word only the kept reading has
    entry.write_text(json.dumps(kept), encoding="utf-8")
    shown = _page_two_shown(root, model_dir)
    assert shown.json()["text"].endswith("GEMERKT")  # not read with Tesseract again
    assert len(shown.json()["page_marks"]) == 1


def test_a_kept_reading_whose_places_are_not_numbers_is_read_anew(
    scanned: tuple[Path, Path], model_dir: Path
) -> None:
    root, _docs = scanned
    [entry] = [p for p in (root / "akten" / OCR_DIR).rglob("2-*.json")]
    kept = json.loads(entry.read_text(encoding="utf-8"))
    kept["words"] = [[text, line, ["?"] * 4] for text, line, _box in kept["words"]]
    entry.write_text(json.dumps(kept), encoding="utf-8")
    shown = _page_two_shown(root, model_dir)
    assert len(shown.json()["page_marks"]) == 1  # marked from Tesseract's reading, again
    assert "?" not in entry.read_text(encoding="utf-8")  # and kept in its place


def _page_two_shown(root: Path, model_dir: Path) -> httpx.Response:
    """The source viewer's answer for the scan's second page, a passage of it marked."""
    backend = TransformersBackend(model_dir, model_name="winzig")
    with running_server(create_app(backend, collections=root)) as url:
        shown = httpx.get(
            f"{url}/v1/collections/akten/source",
            params={"document": KEY, "page": "2", "passage": "Eingang der Angebote"},
            timeout=60,
        )
    assert shown.status_code == 200, shown.text
    return shown
