"""Curation replaces person names like the other kinds of personal data: in the shards the
name is a placeholder, the curation's statistics count it, and nothing else of the text goes."""

from __future__ import annotations

from pathlib import Path

from gemeingut.data.curate import curate
from gemeingut.data.pii import PII_TYPES
from gemeingut.data.shards import iter_split
from gemeingut.data.splits import SPLITS
from gemeingut.recipe import DataSection, SourceSpec
from tests.corpus import WITHOUT_QUALITY_FILTERS, write_jsonl

LETTER = (
    "Sehr geehrte Frau Yilmaz,\n\nIhr Antrag vom 3. Mai ist vollständig. Wenn die Frau Kinder "
    "hat, erhöht sich der Freibetrag. Rückfragen an Herrn Dr. Meier-Lüdenscheidt, "
    "meier@amt.example.\n\nMit freundlichen Grüßen\n\nAnna Becker\nBürgeramt Mitte"
)
REDACTED = (
    "Sehr geehrte Frau <PERSON_NAME>,\n\nIhr Antrag vom 3. Mai ist vollständig. Wenn die Frau "
    "Kinder hat, erhöht sich der Freibetrag. Rückfragen an Herrn Dr. <PERSON_NAME>, "
    "<EMAIL>.\n\nMit freundlichen Grüßen\n\n<PERSON_NAME>\nBürgeramt Mitte"
)


def curated(tmp_path: Path, pii_types: list[str]) -> tuple[dict, list[str]]:
    docs = [
        {"id": "brief", "text": LETTER, "license": "CC0-1.0"},
        {
            "id": "gesetz",
            "text": "§ 1 Der Herr des Verfahrens ist die Behörde.",
            "license": "CC0-1.0",
        },
    ]
    source = SourceSpec(name="amt", path=write_jsonl(tmp_path / "docs.jsonl", docs))
    out = tmp_path / "out"
    out.mkdir()
    section = DataSection(sources=[source], pii_types=pii_types, filters=WITHOUT_QUALITY_FILTERS)
    stats = curate(section, out)
    texts = [row["text"] for split in SPLITS for row in iter_split(out, split, ("text",))]
    return stats, sorted(texts)


def test_curation_replaces_names_and_counts_them(tmp_path: Path) -> None:
    stats, texts = curated(tmp_path, list(PII_TYPES))
    assert texts == [REDACTED, "§ 1 Der Herr des Verfahrens ist die Behörde."]
    block = stats["blocks"]["pii_scrubber"]
    assert block["replacements"] == {"email": 1, "person_name": 3}
    assert block["documents_changed"] == 1


def test_a_recipe_without_person_name_keeps_names(tmp_path: Path) -> None:
    stats, texts = curated(tmp_path, ["email"])
    assert "Frau Yilmaz" in texts[0] and "<EMAIL>" in texts[0]
    assert stats["blocks"]["pii_scrubber"]["replacements"] == {"email": 1}
