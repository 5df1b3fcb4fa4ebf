"""Brands made of German words were taken for German words: „Es sind Kaffeemaschinen von Jura
zu liefern.“, „Reisen von Sonnenklar“, „Ziegel von Wienerberger“ were no finding of
`produktneutral`, since a name after „von“ counted only where it is no German word (so that
„Das Produkt Apfelschorle“ is none). „von“ after a word for a ware names who made it
(`forbidden_makers`): a finding for German words too, but for a common word (a material, a
place) or a plural (many makers); after a word for an act or an amount („Lieferung von
Papier“) it names the ware itself, and the German-word exception stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.names import is_makers_name
from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from gemeingut.i18n import text

RULES = load_rules()


def _named(said: str) -> list[str | None]:
    findings = check_passages([Passage(said)], RULES, "de")
    return [f.passage for f in findings if f.rule == "produktneutral"]


@pytest.mark.parametrize(
    "said",
    [
        # made of German words („Jura“, „sonnenklar“, „Wiener-berger“): missed before
        "Es sind Kaffeemaschinen von Jura zu liefern.",
        "Es sind Reisen von Sonnenklar anzubieten.",
        "Es sind Ziegel von Wienerberger zu verwenden.",
        # and brands no German word spells
        "Es sind Waschmaschinen von Miele zu liefern.",
        "Es sind Bohrmaschinen von Bosch zu liefern.",
        "Es sind Kühlschränke von Liebherr zu liefern.",
        "Es sind Notebooks von Lenovo zu liefern.",
    ],
)
def test_von_after_a_ware_names_its_maker(said: str) -> None:
    assert _named(said) == [said]
    allowed = f"{said} Gleichwertige Produkte sind zugelassen."
    assert _named(allowed) == []


@pytest.mark.parametrize(
    "said",
    [
        # after a weak cue a German word stays a word
        "Das Produkt Apfelschorle ist zu liefern.",
        # after an act or an amount „von“ names the ware itself
        "Es ist die Lieferung von Papier vorzusehen.",
        "Es ist der Einsatz von Recyclingpapier vorzusehen.",
        "Es sind Rollen von Küchenpapier zu liefern.",
        # a property, a material, a place, many makers, a way of working
        "Es sind Stühle von hoher Qualität zu liefern.",
        "Es sind Tische von Holz zu liefern.",
        "Es sind Fotos von Hamburg zu liefern.",
        "Es sind Äpfel von Obstbauern zu liefern.",
        "Es sind Geräte von Fachfirmen einzubauen.",
        "Die Fliesen sind von Hand einzubauen.",
    ],
)
def test_what_von_says_of_no_maker_is_no_finding(said: str) -> None:
    assert _named(said) == []


@pytest.mark.parametrize(
    "said",
    [
        "Es sind Ziegel der Marke Wienerberger zu verwenden.",
        "Es sind Kaffeemaschinen vom Hersteller Jura zu liefern.",
        "Die Ziegel sind vom Fabrikat Wienerberger.",
        "Hersteller: Sonnenklar.",
    ],
)
def test_an_explicit_brand_cue_flags_german_words_too(said: str) -> None:
    assert _named(said) == [said]


def test_a_maker_is_neither_a_common_word_nor_a_plural() -> None:
    assert is_makers_name("Jura") and is_makers_name("Wienerberger")
    assert not is_makers_name("Holz")  # at least 30 laws use it
    assert not is_makers_name("Fachfirmen")  # a German plural: many makers


def test_an_own_rule_of_makers_needs_its_group(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    rule = """rules:
  - id: kaffee
    source: "§ 31 Abs. 6 VgV"
    severity: error
    title: Kaffeemaschine mit Marke
    advice: Produktneutral beschreiben.
    forbidden_makers: ["Kaffeemaschinen\\\\s+von\\\\s+(?P<{group}>\\\\w+)"]
"""
    own.write_text(rule.format(group="maker"), encoding="utf-8")
    found = check_passages([Passage("Kaffeemaschinen von Jura.")], load_rules([own]), "de")
    assert [f.rule for f in found if f.rule == "kaffee"] == ["kaffee"]
    own.write_text(rule.format(group="name"), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_rules([own])
    said = text(error.value.args[0], "de")
    assert "forbidden_makers" in said and "(?P<maker>…)" in said, said
