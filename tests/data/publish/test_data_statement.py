import json
from pathlib import Path

import yaml

from gemeingut.data.publish import NOT_PROVIDED, PublicationInfo, publish_dataset
from gemeingut.data.publish.metadata import PROSE_FIELDS
from gemeingut.i18n import text as in_language
from tests.data.publish.conftest import FULL_INFO

MINIMAL = {
    k: FULL_INFO[k]
    for k in ("document_language", "title_de", "description_de", "publisher_name", "download_url")
}


def read(dataset: Path, name: str = "DATA_STATEMENT.md") -> str:
    return (dataset / name).read_text(encoding="utf-8")


def front_matter(text: str) -> dict:
    _, header, _ = text.split("---\n", 2)
    return yaml.safe_load(header)


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows of `text`, keyed by their first cell without backticks."""
    result = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            result[cells[0].strip("`*")] = cells[1:]
    return result


def test_statement_has_every_section_of_the_long_form_schema(dataset: Path, published) -> None:
    text = read(dataset)
    titles = [
        "Header", "Executive Summary", "Curation Rationale", "Documentation for Source Datasets",
        "Language Varieties", "Speaker Demographic", "Annotator Demographic",
        "Speech Situation and Text Characteristics", "Preprocessing and Data Formatting",
        "Capture Quality", "Limitations", "Metadata", "Disclosures and Ethical Review", "Other",
        "Glossary",
    ]  # fmt: skip
    for number, title in enumerate(titles, start=1):
        assert f"\n## {number}. {title}\n" in text
    assert "Data Statements Version 2" in section(text, "About this document")


def test_numbers_in_the_statement_are_those_of_stats_json(dataset: Path, published) -> None:
    stats = json.loads(read(dataset, "stats.json"))
    text = read(dataset)
    sizes = rows(section(text, "8. Speech Situation and Text Characteristics"))
    for split, totals in stats["splits"].items():
        assert sizes[split][:3] == [f"{totals[k]:,}" for k in ("documents", "characters", "bytes")]
    characters = sum(s["characters"] for s in stats["splits"].values())
    assert sizes["all"][:2] == [f"{stats['kept']:,}", f"{characters:,}"]
    summary = section(text, "2. Executive Summary")
    assert f"Of {stats['documents_in']:,} documents read, {stats['kept']:,} were kept" in summary
    assert f"{stats['excluded']:,} excluded" in summary

    preprocessing = section(text, "9. Preprocessing and Data Formatting")
    table = rows(preprocessing)
    for reason, count in stats["excluded_by_reason"].items():
        assert table[reason][1] == f"{count:,}"
    for licence, count in stats["excluded_by_license"].items():
        assert f"| `{licence}` | {count:,} |" in preprocessing
    for block, values in stats["blocks"].items():
        assert f"*{block}*" in preprocessing
        for key, value in values.items():
            if isinstance(value, int) and not isinstance(value, bool):
                assert f"| `{key}` | {value:,} |" in preprocessing

    sources = rows(section(text, "4. Documentation for Source Datasets"))
    for licence, count in stats["kept_by_license"].items():
        assert sources[licence][2] == f"{count:,}"
    for source, count in stats["kept_by_source"].items():
        assert sources[source][0] == f"{count:,}"
        assert sources[source][1] == f"{stats['excluded_by_source'].get(source, 0):,}"


def test_given_prose_is_used_word_for_word(dataset: Path, published) -> None:
    text = read(dataset)
    for field in ("curation_rationale", "limitations", "personal_sensitive_information"):
        assert FULL_INFO[field] in text
    assert "https://example.org/mixed/README" in section(
        text, "4. Documentation for Source Datasets"
    )
    assert front_matter(text)["corpus_licence"] == published["corpus_licence"]


def test_missing_prose_is_flagged_and_listed_never_invented(dataset: Path, tmp_path: Path) -> None:
    summary = publish_dataset(dataset, PublicationInfo.model_validate(MINIMAL), tmp_path)
    text = read(tmp_path)
    missing = front_matter(text)["missing_fields"]
    assert missing == summary["missing_fields"]
    assert set(PROSE_FIELDS) | {"languages"} <= set(missing)
    assert "source_documentation.mixed" in missing and "source_documentation.notes" in missing
    marker = in_language(NOT_PROVIDED, "en")
    for title in ("6. Speaker Demographic", "10. Capture Quality"):
        assert section(text, title).strip().endswith(marker)
    assert section(text, "11. Limitations").count(marker) == 3
    for field in ("curation_rationale", "limitations", "personal_sensitive_information"):
        assert FULL_INFO[field] not in text
    croissant = json.loads(read(tmp_path, "croissant.json"))
    assert not {"rai:dataLimitations", "rai:dataBiases", "rai:dataCollection"} & croissant.keys()


def test_full_prose_leaves_only_the_unwritten_fields_missing(published) -> None:
    missing = set(published["missing_fields"])
    assert not missing & {"curation_rationale", "limitations", "languages", "title_en"}
    assert "source_documentation.notes" in missing and "source_documentation.mixed" not in missing
    assert "speaker_demographic" in missing


def test_statement_and_notice_are_german_by_default(dataset: Path, tmp_path: Path) -> None:
    """Without `document_language` the statement's and NOTICE's own words are German, numbers
    written the German way; the recipe's prose stays as it was given."""
    info = {k: v for k, v in MINIMAL.items() if k != "document_language"}
    publish_dataset(dataset, PublicationInfo.model_validate(info), tmp_path)
    text = read(tmp_path)
    assert text.splitlines()[7] == f"# Data Statement für {FULL_INFO['title_de']}"
    for title in ("1. Kopfdaten", "9. Vorverarbeitung und Datenformat", "15. Glossar"):
        assert f"\n## {title}\n" in text
    assert section(text, "10. Erfassungsqualität").strip().endswith(in_language(NOT_PROVIDED, "de"))
    stats = json.loads(read(dataset, "stats.json"))
    assert f"Von {stats['documents_in']} gelesenen Dokumenten wurden {stats['kept']} behalten" in (
        section(text, "2. Zusammenfassung")
    )
    assert FULL_INFO["description_de"] in text
    notice = read(tmp_path, "NOTICE")
    assert notice.startswith(f"NOTICE für {FULL_INFO['title_de']}\n")
    assert "15 Dokumente unter CC0-1.0: keine Namensnennung nötig." in notice
    assert "Lizenztext: https://spdx.org/licenses/CC-BY-SA-4.0.html" in notice
