import gzip
import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from gemeingut.data.documents import Document, Exclusion
from gemeingut.data.readers import infer_format, read_source
from gemeingut.errors import InputError
from gemeingut.recipe import SourceSpec
from tests.corpus import open_documents


def _permissions_are_enforced() -> bool:
    """False for root (and other users who may read anything): then those tests cannot work."""
    with tempfile.NamedTemporaryFile() as probe:
        os.chmod(probe.name, 0)
        return not os.access(probe.name, os.R_OK)


needs_permissions = pytest.mark.skipif(
    not _permissions_are_enforced(), reason="this user may read files without permission"
)

GERMAN_PAGE = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Haushalt als offene Daten</title>
<script>var tracking = "Besucherzählung läuft";</script><style>body {{ color: #333 }}</style>
</head><body>
<div id="cookie-banner" class="cookie-consent">Wir verwenden Cookies. Alle akzeptieren</div>
<nav><ul><li><a href="/">Startseite</a></li><li><a href="/presse">Pressemitteilungen</a></li>
<li><a href="/kontakt">Kontaktformular</a></li></ul></nav>
<main><article><h1>Die Stadt veröffentlicht ihren Haushalt als offene Daten</h1>
<p>Die Stadtverwaltung stellt den gesamten Haushaltsplan ab heute unter einer freien Lizenz
bereit. Bürgerinnen und Bürger können die Zahlen herunterladen, prüfen und weiterverwenden.</p>
<p>Der Kämmerer erklärte, dass die Veröffentlichung Transparenz schaffe und die Beteiligung an
der Haushaltsplanung erleichtere. {extra}</p>
<table><tr><th>Posten</th><th>Betrag</th></tr><tr><td>Schulen</td><td>12 Mio. Euro</td></tr>
</table></article></main>
<footer><p>Impressum | Datenschutz | Barrierefreiheit</p></footer></body></html>
"""


def read(spec: SourceSpec, **kwargs) -> tuple[list[Document], list[Exclusion]]:
    excluded: list[Exclusion] = []
    docs = list(read_source(spec, excluded.append, **kwargs))
    return docs, excluded


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def test_zstd_jsonl_is_read(tmp_path: Path) -> None:
    data = jsonl_bytes(open_documents(30))
    compressor = zstandard.ZstdCompressor()
    # Two frames back to back, as parallel compressors (pzstd, zstdmt) write them.
    (tmp_path / "a.jsonl.zst").write_bytes(
        compressor.compress(data[:1000]) + compressor.compress(data[1000:])
    )
    (tmp_path / "b.zst").write_bytes(compressor.compress(data))
    for name in ("a.jsonl.zst", "b.zst"):
        docs, excluded = read(SourceSpec(name="z", path=tmp_path / name))
        assert [d.id for d in docs] == [f"doc-{i:03d}" for i in range(30)]
        assert excluded == []
        assert docs[4].location == f"{name}:5"


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_truncated_compressed_file_keeps_what_was_read_and_excludes_the_rest(
    tmp_path: Path, suffix: str
) -> None:
    data = jsonl_bytes(open_documents(400))
    packed = gzip.compress(data) if suffix.endswith(".gz") else zstandard.compress(data)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    docs, excluded = read(SourceSpec(name="s", path=path))
    assert 0 < len(docs) < 400
    assert len(excluded) == 1
    assert excluded[0].reason == "invalid-record"
    assert excluded[0].location == f"{path.name}:{len(docs) + 1}"
    assert "the rest is lost" in excluded[0].detail


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_cut_off_small_file_is_an_exclusion_not_an_error(tmp_path: Path, suffix: str) -> None:
    data = jsonl_bytes(open_documents(3))
    packed = gzip.compress(data) if suffix.endswith(".gz") else zstandard.compress(data)
    path = tmp_path / f"klein{suffix}"
    path.write_bytes(packed[: len(packed) // 2])  # within the first block the readers fetch
    docs, excluded = read(SourceSpec(name="s", path=path))
    assert len(docs) < 3
    assert [(e.location, e.reason) for e in excluded] == [
        (f"{path.name}:{len(docs) + 1}", "invalid-record")
    ]


def test_broken_line_in_the_middle_is_excluded_and_the_rest_is_read(tmp_path: Path) -> None:
    good = jsonl_bytes(open_documents(2))
    lines = [
        good.splitlines(keepends=True)[0],
        b"{not json\n",
        b'{"text": "kaputt \xff\xfe"}\n',
        b"[1, 2]\n",
        b'"nur ein String"\n',
        b'{"text": 5}\n',
        b'{"text": "halbes Zeichen \\ud800"}\n',
        b"\n",
        good.splitlines(keepends=True)[1].rstrip(b"\n"),  # last line without newline
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(lines))
    docs, excluded = read(SourceSpec(name="s", path=path))
    assert [d.id for d in docs] == ["doc-000", "doc-001"]
    assert docs[1].location == f"{path.name}:9"
    assert [(e.id, e.location, e.reason) for e in excluded] == [
        (f"s/{n}", f"{path.name}:{n}", "invalid-record") for n in range(2, 8)
    ]
    details = [e.detail for e in excluded]
    assert details[0].startswith("not a JSON line")
    assert details[1] == "not valid UTF-8: byte 17 of the line"
    assert details[2] == "a line must be a JSON object, not an array"
    assert details[3] == "a line must be a JSON object, not a string"
    assert "string field `text`" in details[4]
    assert "surrogate" in details[5]


def test_byte_order_mark_at_start_of_jsonl_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(open_documents(2)))
    docs, excluded = read(SourceSpec(name="s", path=path))
    assert len(docs) == 2 and excluded == []


def test_html_page_keeps_main_text_and_drops_navigation(tmp_path: Path) -> None:
    (tmp_path / "seite.html").write_text(GERMAN_PAGE.format(extra=""), "utf-8")
    docs, excluded = read(SourceSpec(name="web", path=tmp_path, license="CC-BY-4.0"))
    assert excluded == []
    [doc] = docs
    assert doc.id == "web/seite.html" and doc.license == "CC-BY-4.0"
    assert "Die Stadt veröffentlicht ihren Haushalt als offene Daten" in doc.text
    assert "Bürgerinnen und Bürger können die Zahlen herunterladen" in doc.text
    assert "Schulen" in doc.text  # tables are content
    for boilerplate in ("Cookies", "Pressemitteilungen", "Impressum", "Besucherzählung", "color"):
        assert boilerplate not in doc.text


def test_html_page_is_decoded_with_its_declared_charset(tmp_path: Path) -> None:
    sentence = "Größere Posten kosten 5 € mehr \u2013 „geprüft“."  # all outside Latin-1 but ö
    page = GERMAN_PAGE.format(extra=sentence)
    latin = page.replace('charset="utf-8"', 'charset="iso-8859-1"')
    (tmp_path / "latin.htm").write_bytes(latin.encode("cp1252"))
    xhtml = '<?xml version="1.0" encoding="windows-1252"?>\n' + page.replace(
        '<meta charset="utf-8">', ""
    )
    (tmp_path / "xhtml.html").write_bytes(xhtml.encode("cp1252"))
    docs, excluded = read(SourceSpec(name="web", path=tmp_path))
    assert excluded == []
    assert len(docs) == 2
    for doc in docs:
        assert sentence in doc.text


def test_html_page_without_text_is_excluded_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "leer.html").write_text(
        "<html><head><script>track()</script></head><body></body></html>", "utf-8"
    )
    (tmp_path / "falsch.html").write_bytes(b'<meta charset="x-unknown-9"><p>Text</p>')
    (tmp_path / "gut.html").write_text(GERMAN_PAGE.format(extra=""), "utf-8")
    docs, excluded = read(SourceSpec(name="web", path=tmp_path, license="CC0-1.0"))
    assert [d.id for d in docs] == ["web/gut.html"]
    by_id = {e.id: e for e in excluded}
    assert by_id["web/leer.html"].reason == "invalid-record"
    assert "no main text" in by_id["web/leer.html"].detail
    assert by_id["web/leer.html"].location == f"{tmp_path.name}/leer.html"
    assert by_id["web/leer.html"].license == "CC0-1.0"
    assert "cannot be decoded" in by_id["web/falsch.html"].detail


def test_folder_keeps_sorted_order_and_excludes_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("A x", "utf-8")
    (tmp_path / "b.md").write_text("\ufeffB mit BOM", "utf-8")
    (tmp_path / "a.txt").write_text("A", "utf-8")
    (tmp_path / "kaputt.txt").write_bytes(b"\xff\xfe kaputt")
    (tmp_path / "weg.txt").symlink_to(tmp_path / "gibt-es-nicht.txt")  # a dangling link
    (tmp_path / "bild.png").write_bytes(b"\x89PNG")  # not a text format: not a document
    docs, excluded = read(SourceSpec(name="f", path=tmp_path))
    assert [d.id for d in docs] == ["f/a/x.txt", "f/a.txt", "f/b.md"]
    assert docs[2].text == "B mit BOM"
    assert {e.id: e.detail.split(":")[0] for e in excluded} == {
        "f/kaputt.txt": "unreadable or not UTF-8",
        "f/weg.txt": "unreadable",
    }


@needs_permissions
def test_unreadable_subfolder_is_excluded_with_its_location(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Lesbar", "utf-8")
    locked = tmp_path / "gesperrt"
    locked.mkdir()
    (locked / "geheim.txt").write_text("Unlesbar", "utf-8")
    locked.chmod(0)
    try:
        docs, excluded = read(SourceSpec(name="f", path=tmp_path))
    finally:
        locked.chmod(0o755)
    assert [d.id for d in docs] == ["f/ok.txt"]
    assert [(e.id, e.location) for e in excluded] == [("f/gesperrt", f"{tmp_path.name}/gesperrt")]


def test_saved_hf_dataset_and_dataset_dict_are_read(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = {
        "id": ["a", "b", "c", "d"],
        "text": ["Erster Text.", "Zweiter Text.", None, "Vierter Text."],
        "license": ["CC0-1.0", None, "CC0-1.0", "CC-BY-4.0"],
        "extra": [1, 2, 3, 4],
    }
    dataset = datasets.Dataset.from_dict(rows)
    dataset.save_to_disk(str(tmp_path / "single"), num_shards=2)
    splits = datasets.DatasetDict(
        {"train": dataset, "test": datasets.Dataset.from_dict({"text": ["Test eins."]})}
    )
    splits.save_to_disk(str(tmp_path / "dict"))
    assert infer_format(tmp_path / "single") == infer_format(tmp_path / "dict") == "hf"

    docs, excluded = read(SourceSpec(name="hf", path=tmp_path / "single", license="MIT"))
    assert [(d.id, d.text, d.license) for d in docs] == [
        ("a", "Erster Text.", "CC0-1.0"),
        ("b", "Zweiter Text.", "MIT"),
        ("d", "Vierter Text.", "CC-BY-4.0"),
    ]
    assert docs[2].location == "single/data-00001-of-00002.arrow:row 2"
    assert [(e.id, e.reason, e.detail) for e in excluded] == [
        ("hf/3", "invalid-record", "`text` is empty (null)")
    ]

    docs, excluded = read(SourceSpec(name="hf", path=tmp_path / "dict"))
    assert [d.id for d in docs] == ["a", "b", "d", "hf/test/1"]
    assert [e.id for e in excluded] == ["hf/train/3"]

    state = tmp_path / "dict" / "test" / "state.json"
    state.write_text('{"_fingerprint": "x"}', encoding="utf-8")  # a split that lost its files
    _docs, excluded = read(SourceSpec(name="hf", path=tmp_path / "dict"))
    [broken] = [e for e in excluded if e.id == "hf/test"]
    # records are published: English on a German machine too, so they never depend on a locale
    assert broken.detail == "split 'test' cannot be read: state.json lists no `_data_files`"


def test_saved_dataset_licence_and_homepage_are_the_source_defaults(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    info = datasets.DatasetInfo(license="CC-BY-SA-4.0", homepage="https://example.org/korpus")
    rows = {"text": ["Erster Text.", "Zweiter Text."], "license": [None, "CC0-1.0"]}
    datasets.Dataset.from_dict(rows, info=info).save_to_disk(str(tmp_path / "ds"))
    docs, _ = read(SourceSpec(name="hf", path=tmp_path / "ds"))
    assert [(d.license, d.url) for d in docs] == [
        ("CC-BY-SA-4.0", "https://example.org/korpus"),
        ("CC0-1.0", "https://example.org/korpus"),
    ]
    docs, _ = read(SourceSpec(name="hf", path=tmp_path / "ds", license="CC0-1.0"))
    assert docs[0].license == "CC0-1.0"  # the recipe's word wins over the dataset's card


def test_damaged_arrow_file_in_saved_dataset_is_excluded(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    texts = [f"Text Nummer {i}." for i in range(3000)]
    datasets.Dataset.from_dict({"text": texts}).save_to_disk(str(tmp_path / "ds"), num_shards=2)
    first = tmp_path / "ds" / "data-00000-of-00002.arrow"
    first.write_bytes(first.read_bytes()[:-3000])
    docs, excluded = read(SourceSpec(name="hf", path=tmp_path / "ds"))
    assert 0 < len(docs) < 3000
    assert docs[-1].text == texts[-1]  # the second file is read in full
    [damage] = excluded
    assert damage.id == "hf/data-00000-of-00002.arrow"
    assert damage.location.startswith("ds/data-00000-of-00002.arrow:row ")
    assert "unreadable" in damage.detail


def test_oversized_documents_are_excluded_as_too_large(tmp_path: Path) -> None:
    records = [{"id": "klein", "text": "ä" * 10}, {"id": "gross", "text": "ä" * 11}]
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_bytes(jsonl_bytes(records))
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "d.parquet")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "klein.txt").write_text("ä" * 10, "utf-8")  # 20 bytes, 10 characters
    (folder / "gross.txt").write_text("ä" * 11, "utf-8")  # read, then too long
    (folder / "riesig.txt").write_text("a" * 41, "utf-8")  # more than 4 bytes per allowed char
    for path, ids in [
        (jsonl, ["gross"]),
        (tmp_path / "d.parquet", ["gross"]),
        (folder, ["f/gross.txt", "f/riesig.txt"]),
    ]:
        docs, excluded = read(SourceSpec(name="f", path=path, license="CC0-1.0"), max_chars=10)
        assert [d.text for d in docs] == ["ä" * 10]
        assert [e.id for e in excluded] == ids
        assert {e.reason for e in excluded} == {"too-large"}
        assert all("max_chars=10" in e.detail for e in excluded)
    _, excluded = read(SourceSpec(name="f", path=folder), max_chars=10)
    assert excluded[1].detail == "41 bytes, more than max_chars=10 allows (not read)"
    docs, excluded = read(SourceSpec(name="f", path=jsonl))
    assert len(docs) == 2 and excluded == []  # no limit unless one is given


def test_runaway_jsonl_line_is_skipped_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "lang.jsonl"
    huge = json.dumps({"text": "x" * (1 << 20) + "y" * 100})
    path.write_text(f'{{"text": "vorher"}}\n{huge}\n{{"text": "nachher"}}\n', "utf-8")
    docs, excluded = read(SourceSpec(name="s", path=path), max_chars=1)
    assert [d.text for d in docs] == []
    assert [(e.location, e.reason) for e in excluded] == [
        (f"{path.name}:1", "too-large"),
        (f"{path.name}:2", "too-large"),
        (f"{path.name}:3", "too-large"),
    ]
    assert "not parsed" in excluded[1].detail
    docs, excluded = read(SourceSpec(name="s", path=path), max_chars=7)
    assert [d.text for d in docs] == ["vorher", "nachher"]
    assert [e.location for e in excluded] == [f"{path.name}:2"]


def test_unreadable_input_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="existiert nicht"):
        read(SourceSpec(name="s", path=tmp_path / "fehlt.jsonl"))
    (tmp_path / "daten.csv").write_text("text\nHallo\n", "utf-8")
    with pytest.raises(InputError, match="ist nicht zu erkennen") as info:
        read(SourceSpec(name="s", path=tmp_path / "daten.csv"))
    assert ".zst" in str(info.value.hint)
    (tmp_path / "falsch.jsonl.gz").write_bytes(b'{"text": "nicht gepackt"}\n')
    with pytest.raises(InputError, match=r"falsch\.jsonl\.gz"):
        read(SourceSpec(name="s", path=tmp_path / "falsch.jsonl.gz"))
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "state.json").write_text("{kaputt", "utf-8")
    with pytest.raises(InputError, match="kein lesbarer gespeicherter Datensatz"):
        read(SourceSpec(name="s", path=tmp_path / "hf"))


@needs_permissions
def test_input_path_without_permission_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(jsonl_bytes(open_documents(1)))
    path.chmod(0)
    with pytest.raises(InputError, match="keine Berechtigung"):
        read(SourceSpec(name="s", path=path))


def test_links_out_of_the_folder_fifos_and_linked_folders_are_excluded(tmp_path: Path) -> None:
    source, outside = tmp_path / "quelle", tmp_path / "fremd"
    source.mkdir()
    outside.mkdir()
    (outside / "geheim.txt").write_text("Fremder Text, Lizenz unbekannt.", "utf-8")
    (source / "eigen.txt").write_text("Eigener Text.", "utf-8")
    (source / "innen.txt").symlink_to(source / "eigen.txt")  # stays inside: read
    (source / "aussen.txt").symlink_to(outside / "geheim.txt")
    (source / "ordner").symlink_to(outside, target_is_directory=True)
    os.mkfifo(source / "pipe.txt")  # reading it would block forever
    docs, excluded = read(SourceSpec(name="f", path=source))
    assert sorted(d.id for d in docs) == ["f/eigen.txt", "f/innen.txt"]
    assert all("Fremder" not in d.text for d in docs)
    reasons = {e.id: (e.reason, e.detail) for e in excluded}
    assert reasons["f/aussen.txt"] == (
        "not-a-source-file",
        "a link to a file outside the source folder (its licence is unknown)",
    )
    assert reasons["f/ordner"][1].startswith("a link to a folder, not followed")
    assert reasons["f/pipe.txt"][1] == "not a regular file (a FIFO, socket or device)"


def test_exclusion_details_hold_no_absolute_paths(tmp_path: Path) -> None:
    source = tmp_path / "quelle"
    source.mkdir()
    (source / "weg.txt").symlink_to(source / "fehlt.txt")
    (source / "d.jsonl").write_bytes(b'{"id": "a", "text": "gut", "license": "CC0-1.0"}\n{kaputt\n')
    _, excluded = read(SourceSpec(name="f", path=source))
    _, excluded_jsonl = read(SourceSpec(name="j", path=source / "d.jsonl"))
    for record in excluded + excluded_jsonl:
        assert str(tmp_path) not in record.detail and str(tmp_path) not in record.location
