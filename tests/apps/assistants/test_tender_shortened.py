"""Lawfully shortened VgV deadlines: a tender that states a substantiated urgency (§ 15 Abs. 3,
§ 16 Abs. 7, § 17 Abs. 8 VgV) or a prior information notice (§ 38 Abs. 3 VgV) is checked
against the shortened minimum (15 days open, 10 restricted), not reported as breaking the
normal one; urgency without a reason, or a notice denied, keeps the normal minimum."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError

OPEN = "Vergabe im offenen Verfahren nach der VgV."
RESTRICTED = "Vergabe im nicht offenen Verfahren nach § 16 VgV."
URGENT = (
    "Wegen der hinreichend begründeten Dringlichkeit – die Heizungsanlage der Grundschule ist "
    "ausgefallen – wird die Frist nach § 15 Abs. 3 VgV verkürzt."
)
URGENT_BECAUSE = "Die Dringlichkeit ist begründet, weil das Rechenzentrum abgebrannt ist."
NOTICE = "Eine Vorinformation wurde am 01.02.2027 im Amtsblatt der EU veröffentlicht."


def deadline_findings(*paragraphs: str) -> list[tuple[str, str, str]]:
    findings = check_passages([Passage(p) for p in paragraphs], load_rules(), "de")
    return [(f.rule, f.source, f.passage) for f in findings if "frist" in f.rule]


@pytest.mark.parametrize("reason", [URGENT, NOTICE])
def test_an_open_procedure_with_a_lawful_reason_may_shorten_to_fifteen_days(reason: str) -> None:
    assert deadline_findings(OPEN, reason, "Die Angebotsfrist beträgt 20 Tage.") == []
    assert deadline_findings(OPEN, reason, "Die Angebotsfrist beträgt 15 Tage.") == []
    assert deadline_findings(OPEN, reason, "Die Angebotsfrist beträgt 12 Tage.") == [
        (
            "angebotsfrist-verkuerzt",
            "§ 15 Abs. 3 VgV; § 38 Abs. 3 VgV",
            "Die Angebotsfrist beträgt 12 Tage.",
        )
    ]


@pytest.mark.parametrize("reason", [URGENT_BECAUSE, NOTICE])
def test_a_restricted_procedure_with_a_lawful_reason_may_shorten_to_ten_days(reason: str) -> None:
    assert deadline_findings(RESTRICTED, reason, "Die Angebotsfrist beträgt 12 Tage.") == []
    assert deadline_findings(RESTRICTED, reason, "Die Angebotsfrist beträgt 8 Tage.") == [
        (
            "angebotsfrist-nichtoffen-verkuerzt",
            "§ 16 Abs. 7 VgV; § 17 Abs. 8 VgV; § 38 Abs. 3 VgV",
            "Die Angebotsfrist beträgt 8 Tage.",
        )
    ]
    # without the reason the normal minimum holds
    assert [f[0] for f in deadline_findings(RESTRICTED, "Die Angebotsfrist beträgt 12 Tage.")] == [
        "angebotsfrist-nichtoffen"
    ]


@pytest.mark.parametrize(
    "said",
    [
        "Wegen Dringlichkeit ist die Frist kurz.",  # urgency named, no reason given
        "Eine Dringlichkeit liegt nicht vor.",
        "Es besteht keine Dringlichkeit, da genug Zeit bleibt.",
        "Eine Vorinformation wurde nicht veröffentlicht.",
        "Die Vorabinformation nach § 134 GWB folgt nach der Wertung.",  # not § 38 VgV
        "Es liegt keine hinreichend begründete Dringlichkeit vor, weil genug Zeit bleibt.",
        "Auf eine Vorinformation wurde verzichtet.",
        "Die Vorinformation entfällt.",
        # urgency as a measure of the award is no urgency of the procedure
        "Die Angebote werden nach Dringlichkeit der Lieferung gewertet: Preis 60 %, Zeit 40 %.",
        "Angebote werden nach Dringlichkeit der Lieferung gewertet, da Schulen Vorrang haben.",
        "Gewertet wird nach der Dringlichkeit – Lieferzeit 40 %.",
        "Die Angebote werden nach begründeter Dringlichkeit der Lieferung gewertet.",
    ],
)
def test_no_stated_urgency_of_the_procedure_nor_a_notice_keeps_the_normal_minimum(
    said: str,
) -> None:
    assert deadline_findings(OPEN, said, "Die Angebotsfrist beträgt 20 Tage.") == [
        ("angebotsfrist", "§ 15 Abs. 2 und 4 VgV", "Die Angebotsfrist beträgt 20 Tage.")
    ]


def test_below_the_thresholds_urgency_does_not_bring_the_vgv_back() -> None:
    found = deadline_findings(
        "Beschränkte Ausschreibung nach UVgO.", URGENT, "Die Angebotsfrist beträgt 5 Tage."
    )
    assert [f[0] for f in found] == ["angebotsfrist-unterschwelle"]


OWN = """rules:
  - id: tariftreue-eilig
    source: "§ 2 TVgG"
    severity: warning
    title: Tariftreue fehlt
    advice: Tariftreueerklärung verlangen.
    only_if_all:
      - ["Reinigung", "Pflege"]
      - ["Schule"]
    required:
      - ["Tariftreue"]
"""


def test_an_own_rule_may_ask_for_one_pattern_of_each_group(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(OWN, encoding="utf-8")
    rules = [r for r in load_rules([own]) if r.id == "tariftreue-eilig"]

    def rules_found(*paragraphs: str) -> list[str]:
        return [f.rule for f in check_passages([Passage(p) for p in paragraphs], rules, "de")]

    assert rules_found("Pflege der Grünflächen.", "Die Schule liegt am Markt.") == [
        "tariftreue-eilig"
    ]
    assert rules_found("Reinigung des Rathauses.") == []  # no school
    assert rules_found("Bau einer Schule.") == []  # neither cleaning nor care


def test_a_flat_list_of_groups_is_refused_with_both_ways_to_write_it(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(OWN.replace('- ["Reinigung", "Pflege"]\n      - ["Schule"]', "- Schule"))
    with pytest.raises(
        InputError, match=r"Zeile 7, Regel 1 \(tariftreue-eilig\), Feld only_if_all"
    ):
        load_rules([own])


def test_a_stated_urgency_may_mention_the_award() -> None:
    urgent = (
        "Wegen der Dringlichkeit – die Heizung der Grundschule ist ausgefallen – "
        "erfolgt die Wertung binnen drei Tagen."
    )
    assert deadline_findings(OPEN, urgent, "Die Angebotsfrist beträgt 20 Tage.") == []
    assert [
        f[0] for f in deadline_findings(OPEN, urgent, "Die Angebotsfrist beträgt 12 Tage.")
    ] == ["angebotsfrist-verkuerzt"]
