"""The data statement's „Personenbezogene und sensible Informationen" said „nicht angegeben"
although curation had found and replaced 5 phone numbers, 2 e-mail addresses, 2 IBANs and an
IP address in 2 documents (shown only as raw counts in section 9): it now says, from those
counts, what was looked for, what was found and replaced, by kind, in how many documents, and
what the detectors cannot find; the curators' own words stay beside it. The contamination
histogram's buckets (`overlap_histogram.00-10%`) are said in words."""

import dataclasses
from pathlib import Path

import pytest

from gemeingut.data.publish import PublicationInfo, publish_dataset
from gemeingut.data.publish.data_statement import render_data_statement
from gemeingut.data.publish.facts import DatasetFacts, read_facts
from gemeingut.recipe import DataSection, SourceSpec
from gemeingut.stages import curate_stage
from gemeingut.workspace import at
from tests.corpus import WITHOUT_QUALITY_FILTERS, open_documents, write_jsonl

PERSONAL = (
    "Bitte antworten Sie per E-Mail an max.mustermann@beispiel-mail.de oder telefonisch unter "
    "0221 12345678 bzw. mobil +49 (0)171 2345678. Die Gebühr überweise ich von meinem Konto "
    "DE89 3704 0044 0532 0130 00. Server: 93.184.216.34."
)
INFO = {
    "title_de": "Korpus",
    "description_de": "Testdaten.",
    "publisher_name": "Testamt",
    "download_url": "https://example.org/korpus/",
}


def _section(statement: str, lead: str) -> str:
    """The paragraph of `statement` that starts with the bold `lead`."""
    (paragraph,) = [p for p in statement.split("\n\n") if p.startswith(f"**{lead}**")]
    return paragraph


@pytest.fixture(scope="module")
def with_personal_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset curated from documents of which two hold personal data, published."""
    root = tmp_path_factory.mktemp("personal")
    docs = open_documents(12, seed=7)
    docs[0]["text"] += " " + PERSONAL
    docs[1]["text"] += " Kontakt: poststelle@amt.example.de, Tel. 0711 1234560."
    source = SourceSpec(name="briefe", path=write_jsonl(root / "briefe.jsonl", docs))
    section = DataSection(sources=[source], filters=WITHOUT_QUALITY_FILTERS)
    artifact, _ = curate_stage(at(root / "ds"), section)
    publish_dataset(artifact.path, PublicationInfo.model_validate(INFO))
    return artifact.path


def test_what_curation_found_and_replaced_is_said_by_kind_and_documents(
    with_personal_data: Path,
) -> None:
    statement = (with_personal_data / "DATA_STATEMENT.md").read_text(encoding="utf-8")
    said = _section(statement, "Personenbezogene und sensible Informationen.")
    assert "nicht angegeben" not in said
    assert "gesucht: E-Mail-Adressen, IBANs, Steuer-IDs, öffentliche IPv4-Adressen und " in said
    assert (
        "Gefunden und ersetzt: 3 Telefonnummern, 2 E-Mail-Adressen, 1 IBAN und 1 IP-Adresse, "
        "in 2 Dokumenten." in said
    ), said
    assert "bevor Duplikate entfernt wurden" in said  # counted before dedup, not in what is kept
    assert "`<PHONE>`" in said
    assert "Nicht gesucht wurden: Namen nach einer Anrede oder einem Titel." in said
    assert "Postanschriften" in said  # what no detector looks for
    curators = _section(statement, "Angaben der Kurator:innen dazu.")
    assert curators.endswith("_In `[data.publication]` nicht angegeben._")


def _rendered(facts: DatasetFacts, language: str, **blocks) -> str:
    stats = {**facts.stats, "blocks": {**facts.stats.get("blocks", {}), **blocks}}
    info = PublicationInfo.model_validate({**INFO, "document_language": language})
    return render_data_statement(dataclasses.replace(facts, stats=stats), info)


def test_one_found_none_found_and_none_looked_for_are_said_as_such(
    with_personal_data: Path,
) -> None:
    facts = read_facts(with_personal_data)
    one = {"replacements": {"iban": 1}, "documents_changed": 1}
    said = _section(_rendered(facts, "en", pii_scrubber=one), "Personal and sensitive information.")
    assert "Found and replaced: 1 IBAN, in 1 document." in said
    none = {"replacements": {}, "documents_changed": 0}
    said = _section(_rendered(facts, "de", pii_scrubber=none), "Personenbezogene und sensible "
                    "Informationen.")  # fmt: skip
    assert "Gefunden und ersetzt: nichts." in said
    unsearched = dataclasses.replace(facts, meta={**facts.meta, "params": {"pii_types": []}})
    stats = {**facts.stats, "blocks": {}}
    statement = render_data_statement(
        dataclasses.replace(unsearched, stats=stats), PublicationInfo.model_validate(INFO)
    )
    said = _section(statement, "Personenbezogene und sensible Informationen.")
    assert "nicht nach personenbezogenen Daten gesucht (`pii_types` ist leer)" in said


def test_the_contamination_histogram_is_said_in_words(with_personal_data: Path) -> None:
    facts = read_facts(with_personal_data)
    histogram = {"0%": 3, "00-10%": 2, "10-20%": 1, "90-100%": 1}
    contamination = {"ngram": 13, "test_documents_checked": 7, "overlap_histogram": histogram}
    german = _rendered(facts, "de", contamination=contamination)
    english = _rendered(facts, "en", contamination=contamination)
    assert "| `overlap_histogram.00-10%` |" not in german
    assert (
        "| Testdokumente mit mehr als 0 % und weniger als 10 % ihrer Wort-n-Gramme in den "
        "Trainingsdaten (`overlap_histogram.00-10%`) | 2 |" in german
    )
    assert "| Testdokumente mit 10 % bis unter 20 % ihrer Wort-n-Gramme" in german
    assert "| Testdokumente mit 90 % oder mehr ihrer Wort-n-Gramme" in german
    assert "keines in den Trainingsdaten vorkommt (0 %) (`overlap_histogram.0%`) | 3 |" in german
    assert "| test documents with more than 0 % and less than 10 % of their word n-grams" in english
    assert "| `test_documents_checked` | 7 |" in english  # a key that says itself stays as is


def test_every_kind_the_scrubber_knows_is_named_where_it_defines_the_kinds() -> None:
    """A kind added to the scrubber without its name would break every data statement (the
    names lived in the statement's module, apart from the kinds)."""
    from gemeingut.data.pii import KIND_NAMES, PII_TYPES

    assert list(KIND_NAMES) == list(PII_TYPES)
