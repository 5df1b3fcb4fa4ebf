"""German terms beyond the word list's long words: a feminine form finds its base word and
back ("Ärztinnen", "Arzt"), and compounds of short nouns are split ("Bauamt": "Bau", "Amt"),
each checked through a real collection's BM25 search."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.german_terms import parts
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.apps.rag.retrieve import search
from tests.apps.rag.documents import write_texts

NOTES = {
    "praxis.txt": "Die Ärztinnen der Praxis haben donnerstags Sprechstunde.",
    "dienst.txt": "Jede Beamtin erhält die Zulage nach der Besoldungsordnung.",
    "bauamt.txt": "Das Bauamt prüft die Unterlagen vollständig.",
    "bundestag.txt": "Der Bundestag beschließt das Haushaltsgesetz.",
}
OTHERS = {
    "schule.txt": "Die Schule hat donnerstags einen Elternabend.",
    "kasse.txt": "Die Kasse prüft die Belege vollständig.",
    "rat.txt": "Der Kreistag tagt öffentlich.",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terms")
    write_texts(folder / "docs", NOTES | OTHERS)
    ingest(folder / "c", "n", [folder / "docs"])
    return folder / "c"


def first(root: Path, question: str) -> str:
    collection = open_collection(root, "n")
    hits = search(collection, question, 1, "bm25")
    return collection.chunks[hits[0].row].document if hits else ""


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("Wann hat der Arzt Sprechstunde?", "docs/praxis.txt"),  # the passage: "Ärztinnen"
        ("Welche Zulage erhalten Beamte?", "docs/dienst.txt"),  # the passage: "Beamtin"
        ("Was prüft das Amt für Bau?", "docs/bauamt.txt"),  # the passage: "Bauamt"
        ("Was beschließt der Tag des Bundes?", "docs/bundestag.txt"),
    ],
)
def test_a_question_finds_the_feminine_form_and_the_short_compound(
    root: Path, question: str, document: str
) -> None:
    assert first(root, question) == document


def test_feminine_forms_are_their_base_words_and_other_words_in_in_are_not() -> None:
    assert parts("ärztinnen") == ("arzt",)
    assert parts("ärztin") == ("arzt",)
    assert parts("beamtin") == ("beamte",)
    assert parts("präsidentin") == ("präsident",)
    assert parts("studentinnen") == ("student",)
    assert parts("bürgerinnenbeteiligung") == ("bürger", "beteiligung")
    for word in ("termin", "medizin", "verein", "benzin", "innen", "binnen", "beginnen"):
        assert parts(word) == (), word
    # places whose ending only looks feminine: not "schwer", not "oberste"
    assert parts("schwerin") == () and "oberste" not in parts("oberstein")


def test_compounds_of_short_nouns_are_split_and_short_words_alone_are_not() -> None:
    assert parts("bauamt") == ("bau", "amt")
    assert parts("gemeinderat") == ("gemeinde", "rat")
    assert parts("tatbestand") == ("tat", "bestand")
    assert parts("nutzungsart") == ("nutzung", "art")  # not "Nutzung" and "Sart"
    for word in ("artikel", "tagung", "ortung", "bauer", "amtlich", "vollzug"):
        assert parts(word) == (), word


def test_a_known_compound_of_a_short_noun_stays_whole_inside_a_longer_word() -> None:
    """The "Hausrat" of "Hausratversicherungen" is one term, not "Haus" and "Rat": the short
    noun alone would match every "Rat" of a collection (Bundesrat, Beirat)."""
    assert parts("hausratversicherungen") == ("hausrat", "versicherungen")
    assert parts("aufsichtsratsmitglieder") == ("aufsichtsrat", "mitglieder")
    assert parts("feiertagsbeschäftigung") == ("feiertag", "beschäftigung")
    assert parts("hausrat") == ("haus", "rat")  # a word of two parts keeps them
