"""Three mistakes of the tender check. A text draft pasted from Word or a PDF, one sentence a
line or lines broken inside a sentence, had each line taken for a paragraph of its own, so
that „Gleichwertige Produkte sind zugelassen.“ on the next line did not lift the product named
above it; a blank line, a list item and a heading still part. The rules that ask for a
deadline cited the VgV and UVgO for building works too, where the VOB/A sets it. A compound
the laws never use after „das Produkt“ („Apfelschorle“) was taken for a brand; a known first
part and a last word spelt as German words are make it a word, and the brands stay names."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.names import is_german_word
from gemeingut.apps.assistants.tender import check_passages, check_tender, load_rules
from gemeingut.apps.rag.readers import Passage

RULES = load_rules()

# A paste from Word: one sentence a line, one of them broken inside (a PDF's column).
PASTED = (
    "Leistungsbeschreibung Gebäudereinigung\n"
    "\n"
    "Für die Unterhaltsreinigung sind Reinigungsmittel\n"
    "ausschließlich von Frosch zu verwenden.\n"
    "Gleichwertige Produkte sind zugelassen.\n"
    "Die Reinigung erfolgt werktags.\n"
)
FROSCH = "Reinigungsmittel ausschließlich von Frosch."
NAMED = "Für die Unterhaltsreinigung sind Reinigungsmittel\nausschließlich von Frosch zu verwenden."


def _named(findings: list) -> list[tuple[str | None, int | None]]:
    return [(f.passage, f.line) for f in findings if f.rule == "produktneutral"]


def test_a_pasted_text_draft_s_lines_are_one_paragraph(tmp_path: Path) -> None:
    draft = tmp_path / "entwurf.txt"
    draft.write_text(PASTED, encoding="utf-8")
    assert _named(check_tender(draft, RULES)) == []
    short = tmp_path / "kurz.txt"  # every line a sentence, none as long as a page is wide
    short.write_text(
        "Ordner ausschließlich von Soennecken.\nGleichwertige Produkte sind zugelassen.\n",
        encoding="utf-8",
    )
    assert _named(check_tender(short, RULES)) == []


@pytest.mark.parametrize(
    "parted",
    [
        "\n\n",  # a blank line
        "\n- ",  # a list item
        "\n2. ",
        "\n# Hygienepapier\n",  # a heading
    ],
)
def test_a_blank_line_a_list_item_or_a_heading_still_part(tmp_path: Path, parted: str) -> None:
    draft = tmp_path / "entwurf.txt"
    draft.write_text(
        FROSCH + parted + "Gleichwertige Produkte sind zugelassen.\n",
        encoding="utf-8",
    )
    assert _named(check_tender(draft, RULES)) == [(FROSCH, 1)]


def test_text_sent_as_typed_joins_lines_and_a_reader_s_lines_stay_apart(tmp_path: Path) -> None:
    body = PASTED.split("\n\n", 1)[1]  # as the server has the page's text box: by blank lines
    assert _named(check_passages([Passage(body)], RULES, "de", typed=True)) == []
    # a reader put each paragraph on a line of its own (HTML, a Markdown list): apart
    assert _named(check_passages([Passage(body)], RULES, "de")) == [(NAMED, None)]
    page = tmp_path / "entwurf.html"
    page.write_text(
        f"<p>{FROSCH}</p><p>Gleichwertige Produkte sind zugelassen.</p>",
        encoding="utf-8",
    )
    assert _named(check_tender(page, RULES)) == [(FROSCH, None)]


def test_the_server_reads_pasted_text_as_typed(model_dir: Path) -> None:
    import httpx

    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend
    from tests.http_server import running_server

    with running_server(create_app(TransformersBackend(model_dir))) as url:
        checked = httpx.post(f"{url}/v1/assist/tender", json={"text": PASTED}, timeout=60)
    assert checked.status_code == 200, checked.text
    assert [f for f in checked.json()["findings"] if f["rule"] == "produktneutral"] == []


def _sources(text: str) -> dict[str, str]:
    found = check_passages([Passage(text)], RULES, "de")
    return {f.rule: f.source for f in found if f.rule.startswith("frist-")}


WORKS = "Bauleistungen nach VOB/A: Erneuerung der Dachabdichtung der Grundschule."
VOB = "§ 10EU Abs. 1 VOB/A"


@pytest.mark.parametrize(
    ("draft", "sources"),
    [
        (WORKS, {"frist-angegeben": VOB}),
        (WORKS + " Angebote sind bis morgen einzureichen.", {"frist-ohne-datum": VOB}),
        # supplies and services, or the VOB/A said not to apply: the VgV and the UVgO
        ("Geliefert werden 200 Tablets.", {"frist-angegeben": "§ 20 VgV"}),
        (
            "Geliefert werden Möbel; die VOB/A ist nicht anzuwenden.",
            {"frist-angegeben": "§ 20 VgV"},
        ),
    ],
)
def test_a_deadline_for_building_works_cites_the_vob_a(draft: str, sources: dict) -> None:
    assert _sources(draft) == sources


def _brand(sentence: str) -> list[str | None]:
    found = check_passages([Passage(sentence)], RULES, "de")
    return [f.passage for f in found if f.rule == "produktneutral"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Das Produkt Apfelschorle ist zu liefern.",
        "Das Produkt Glasreiniger ist in Gebinden zu 10 Litern zu liefern.",
        "Es ist das System Laubbläser mit Akku zu beschaffen.",
    ],
)
def test_a_compound_with_a_last_word_no_law_uses_is_no_brand(sentence: str) -> None:
    assert _brand(sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Das Portal ist mit dem Framework Salesforce umzusetzen.",
        "Die Software „Nextcloud“ ist einzusetzen.",
        "Die Chats laufen auf der Plattform Mattermost.",
        "Die Anmeldung erfolgt über das System Bildungslogin.",  # German first, English last
        "Die Firewall ist das Produkt Fortinet.",
    ],
)
def test_brands_after_a_cue_are_still_names(sentence: str) -> None:
    assert _brand(sentence) == [sentence]


def test_the_word_test_splits_a_known_first_part_from_a_german_last_word() -> None:
    assert all(map(is_german_word, ["Apfelschorle", "Aktenvernichter", "Hochdruckreiniger"]))
    names = ["Salesforce", "Bildungslogin", "Fortinet", "Mattermost", "Bettermarks", "Fabasoft"]
    assert not any(map(is_german_word, names))
