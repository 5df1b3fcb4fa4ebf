"""German compound words in BM25: a question that writes a compound as its parts finds the
compound's passage and back, the same way every time; older indexes keep working."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gemeingut.apps.rag.german_terms import WORDS, parts
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest, open_collection
from gemeingut.apps.rag.lexical import PARTS_DIR, words_and_parts
from gemeingut.apps.rag.retrieve import search
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_texts

NOTES = {
    "angebotsfrist.txt": "Die Angebotsfrist beträgt mindestens dreißig Tage.",
    "vergabe.txt": "Im Verfahren der Vergabe gilt der Grundsatz der Transparenz.",
    "beschwerde.txt": "Eine Beschwerde ist innerhalb einer Frist von zwei Wochen einzulegen.",
    "werke.txt": "Amtliche Werke sind gemeinfrei.",
}


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    return write_texts(tmp_path / "notizen", NOTES)


def found(root: Path, question: str, k: int = 2) -> list[str]:
    collection = open_collection(root, "n")
    return [collection.chunks[h.row].document for h in search(collection, question, k, "bm25")]


def test_a_question_with_the_parts_finds_the_compound_and_back(notes: Path, tmp_path: Path) -> None:
    (notes / "zuschlag.txt").write_text("Das Vergabeverfahren endet mit dem Zuschlag.")
    ingest(tmp_path / "c", "n", [notes])
    root = tmp_path / "c"
    # found, after the passage with the question's own word (parts weigh less than words)
    assert found(root, "Wie lang ist die Frist für Angebote?") == [
        "notizen/beschwerde.txt",
        "notizen/angebotsfrist.txt",
    ]
    assert found(root, "Angebote mit Frist") == found(root, "Frist für Angebote")
    assert found(root, "Angebotsfrist")[0] == "notizen/angebotsfrist.txt"
    assert found(root, "Was gilt im Vergabeverfahren?") == [
        "notizen/zuschlag.txt",
        "notizen/vergabe.txt",
    ]
    assert found(root, "Verfahren der Vergabe") == ["notizen/vergabe.txt", "notizen/zuschlag.txt"]


def test_an_index_made_before_compounds_were_split_is_searched_as_before(
    notes: Path, tmp_path: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "n", [notes])
    meta_path = root / "n" / COLLECTION_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert meta["terms"].startswith("de-compounds-")
    del meta["terms"]  # what an index made before splitting has: no record, no parts index
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(root / "n" / meta["index"] / PARTS_DIR)
    assert found(root, "Amtliche Werke") == ["notizen/werke.txt"]
    assert "notizen/angebotsfrist.txt" not in found(root, "Frist für Angebote", k=4)
    ingest(root, "n", [notes])  # the next ingest makes the index anew, with the parts
    assert "notizen/angebotsfrist.txt" in found(root, "Frist für Angebote")


def test_an_index_made_with_another_word_list_is_refused_with_what_to_do(
    notes: Path, tmp_path: Path
) -> None:
    root = tmp_path / "c"
    ingest(root, "n", [notes])
    meta_path = root / "n" / COLLECTION_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["terms"] = "de-compounds-000000000000"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(InputError, match=r"anderen Wortliste \(de-compounds-000000000000\)"):
        found(root, "Angebotsfrist")
    with pytest.raises(InputError, match=r"gemeingut rag ingest"):
        found(root, "Angebotsfrist")


def test_an_english_collection_splits_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("The tender deadline is thirty days.")
    ingest(tmp_path / "c", "n", [tmp_path / "notes"], language="en")
    collection = open_collection(tmp_path / "c", "n")
    assert collection.meta["terms"] == WORDS
    assert not (collection.index_folder / PARTS_DIR).exists()
    assert found(tmp_path / "c", "deadline") == ["notes/a.txt"]


def test_compounds_split_into_known_words_and_common_words_stay_whole() -> None:
    assert parts("angebotsfrist") == ("angebot", "frist")
    assert parts("vergabeverfahren") == ("vergabe", "verfahren")
    assert parts("schulgelände") == ("schul", "gelände")
    assert parts("bundesausbildungsförderungsgesetz") == (
        "bundes",
        "ausbildung",
        "förderung",
        "gesetz",
    )
    assert parts("gesellschaft") == ()  # more common than "Gesell" and "Schaft"
    assert parts("unterlagen") == ()  # "unter" is a stop word
    assert parts("verlaufende") == ()  # a participle, not "Verlauf" and "Ende"
    assert parts("jahresende") == ("jahr", "ende")
    whole, found_parts = words_and_parts(["Die Angebotsfrist und die Frist"], "de")
    assert whole == [["angebotsfrist", "frist"]] and found_parts == [["angebot", "frist"]]


def test_the_terms_are_the_same_in_every_process() -> None:
    """Index and question must split alike, also in another process (hash order differs)."""
    script = (
        "from gemeingut.apps.rag.lexical import words_and_parts; "
        "print(words_and_parts(['Vergabeverfahren, Angebotsfristen, Zuschlagskriterien, "
        "Arbeitsorten und Nachhaltigkeitskriterien im Vergabeverfahren'], 'de'))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env=os.environ | {"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and "'vergab', 'verfahr'" in runs.pop()
