"""Two mistakes of the tender check. The rules that may apply to building works or to supplies,
above or below the EU thresholds, cited one list of all their laws („§ 31 Abs. 6 VgV; § 7EU
Abs. 2 VOB/A; § 23 Abs. 5 UVgO“) where the kind of the draft decides which one applies: a
national building works draft („Öffentliche Ausschreibung nach § 3 VOB/A“) is § 7 Abs. 2 VOB/A's.
And `assist tender -` looked for a file named „-“ instead of reading the draft piped in, as
Unix tools do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gemeingut.apps.assistants import tender
from gemeingut.apps.assistants.rulefile import SHIPPED_RULES
from gemeingut.apps.assistants.tender import check_passages, load_rules
from gemeingut.apps.rag.readers import Passage
from gemeingut.cli import app
from tests.test_cli import runner

RULES = load_rules()
NAMED = "Die Fenster sind vom Fabrikat Schüco."
EXCLUDED = "Gleichwertige Produkte sind nicht zugelassen."
NATIONAL = "Öffentliche Ausschreibung nach § 3 VOB/A: Fenstertausch in der Grundschule."
# works in one paragraph, the thresholds in another: both count
WORKS_BELOW = [
    "Bauleistungen: Fenstertausch.",
    "Der Auftragswert liegt unterhalb der EU-Schwellenwerte.",
]
WORKS_EU = "Bauleistungen im offenen Verfahren nach § 3EU VOB/A: Fenstertausch."
SUPPLIES_BELOW = (
    "Verfahrensart: Beschränkte Ausschreibung nach § 11 UVgO. Geliefert werden Fenster."
)
SUPPLIES = "Geliefert werden Fenster."  # no procedure named: the open one, as for the deadlines


def _sources(*paragraphs: str) -> dict[str, str]:
    found = check_passages([Passage(p) for p in paragraphs], RULES, "de", typed=True)
    return {f.rule: f.source for f in found}


@pytest.mark.parametrize(
    ("kind", "neutral", "deadline", "criteria"),
    [
        ([NATIONAL], "§ 7 Abs. 2 VOB/A", "§ 10 Abs. 1 VOB/A", "§ 16d VOB/A"),
        (WORKS_BELOW, "§ 7 Abs. 2 VOB/A", "§ 10 Abs. 1 VOB/A", "§ 16d VOB/A"),
        (
            [WORKS_EU],
            "§ 7EU Abs. 2 VOB/A",
            "§ 10EU Abs. 1 VOB/A",
            "§ 127 Abs. 5 GWB; § 16dEU VOB/A",
        ),
        ([SUPPLIES_BELOW], "§ 23 Abs. 5 UVgO", "§ 13 UVgO", "§ 43 Abs. 6 UVgO"),
        ([SUPPLIES], "§ 31 Abs. 6 VgV", "§ 20 VgV", "§ 127 Abs. 5 GWB; § 58 Abs. 3 VgV"),
        (
            ["Geliefert werden Möbel; die VOB/A ist nicht anzuwenden."],
            "§ 31 Abs. 6 VgV",
            "§ 20 VgV",
            "§ 127 Abs. 5 GWB; § 58 Abs. 3 VgV",
        ),
    ],
    ids=[
        "national-works",
        "works-below-in-two-paragraphs",
        "eu-works",
        "supplies-below",
        "supplies",
        "vob-a-not-applied",
    ],
)
def test_a_finding_cites_the_law_of_the_drafts_kind(
    kind: list[str], neutral: str, deadline: str, criteria: str
) -> None:
    sources = _sources(*kind, NAMED, EXCLUDED)
    assert sources["produktneutral"] == neutral
    assert sources["gleichwertig-ausgeschlossen"] == neutral
    assert sources["frist-angegeben"] == deadline
    assert sources["zuschlagskriterien"] == criteria
    assert _sources(*kind, "Angebote sind bis morgen einzureichen.")["frist-ohne-datum"] == deadline


def test_a_national_works_draft_has_no_eu_deadline() -> None:
    """„nach § 3 VOB/A“ is a procedure below the thresholds: its deadline is § 10 VOB/A's
    reasonable one, not the 35 days of an EU open procedure."""
    sources = _sources(NATIONAL, "Die Angebotsfrist beträgt 7 Tage.")
    assert "angebotsfrist" not in sources
    assert sources["angebotsfrist-unterschwelle"] == "§ 10 Abs. 1 VOB/A"


def test_no_shipped_rule_cites_the_laws_of_several_kinds_at_once() -> None:
    """Each source names the law of one kind of draft, works or supplies, above or below the
    thresholds; the kind the draft says chooses among them (`source_if`)."""
    rules = yaml.safe_load(SHIPPED_RULES.read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        for source in [rule["source"], *(s["source"] for s in rule.get("source_if", []))]:
            vob = [part for part in source.split("; ") if part.endswith("VOB/A")]
            eu = {part.split()[1].endswith("EU") for part in vob}
            supplies = {law for law in ("VgV", "UVgO") if law in source}
            assert len(eu) <= 1 and len(supplies) <= 1, (rule["id"], source)
            assert not (vob and supplies), (rule["id"], source)


def test_a_dash_reads_the_draft_piped_in_as_typed_text() -> None:
    """`cat entwurf.txt | gemeingut assist tender -`: the draft from standard input, its lines
    numbered for the findings, a line break inside a sentence no new paragraph."""
    draft = f"{NATIONAL}\nDie Fenster sind\nvom Fabrikat Schüco.\n"
    allowed = "Gleichwertige Produkte sind zugelassen.\n"
    result = runner.invoke(
        app,
        ["--lang", "de", "assist", "tender", "-", "--json"],
        input=(draft + allowed).encode("utf-8"),
    )
    assert "diese Datei gibt es nicht" not in result.output
    assert result.exit_code == 1, result.output  # errors found, as for a file
    assert '"rule": "produktneutral"' not in result.stdout  # „gleichwertig“ on the next line
    shown = runner.invoke(
        app,
        ["--lang", "de", "assist", "tender", "-"],
        input=draft.encode("utf-8"),
    )
    assert "(§ 7 Abs. 2 VOB/A)" in shown.stdout
    assert "Zeile 2: „Die Fenster sind vom Fabrikat Schüco.“" in shown.stdout


def test_a_dash_with_nothing_piped_in_says_so() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gemeingut.cli", "--lang", "de", "assist", "tender", "-"],
        input=b"  \n",
        capture_output=True,
        check=False,
    )
    said = result.stderr.decode()
    assert result.returncode == 2 and "Standardeingabe: kein Text gefunden" in said, said
    assert "Traceback" not in said


def test_the_help_says_a_dash_reads_standard_input() -> None:
    said = runner.invoke(
        app,
        ["--lang", "en", "assist", "tender", "--help"],
    ).stdout
    assert "standard input" in " ".join(said.split())


def test_a_file_named_by_its_path_is_still_read(tmp_path: Path) -> None:
    draft = tmp_path / "entwurf.txt"
    draft.write_text(f"{NATIONAL}\n{NAMED}\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["--lang", "de", "assist", "tender", str(draft)],
    )
    assert result.exit_code == 1 and "(§ 7 Abs. 2 VOB/A)" in result.stdout


def test_a_binary_draft_piped_in_is_named_standard_input() -> None:
    """A PDF piped in is no text: the error names standard input and the way to check a PDF,
    not the temporary file it was read from, which the person never saw."""
    result = runner.invoke(
        app, ["--lang", "de", "assist", "tender", "-"], input=b"%PDF-1.7\n\x00\x9f\x00"
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "Standardeingabe: kein Text in UTF-8" in said and "stdin.txt" not in said, said


def test_a_long_paragraph_of_names_is_read_once_for_what_allows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Text piped in without blank lines is one paragraph: each sentence that names a brand
    looked at every later one for its „oder gleichwertig“, so a long draft took minutes (a
    megabyte more than three). The sentences that may allow are found once: the patterns
    tried grow with the draft, not with its square."""
    tried: list[int] = []
    each = tender._any
    monkeypatch.setattr(
        tender, "_any", lambda patterns, said: tried.append(1) or each(patterns, said)
    )
    sentences = 300
    draft = "\n".join(f"Stuhl {i} ist von der Marke Steelcase." for i in range(sentences))
    found = check_passages([Passage(draft)], RULES, "de", typed=True)
    assert sum(f.rule == "produktneutral" for f in found) == sentences
    assert len(tried) < 60 * sentences, len(tried)
