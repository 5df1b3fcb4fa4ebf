"""The tender check finds violations planted in a test tender, each with the rule's § and the
passage (and page) of the tender; a clean tender passes; rules are data users extend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import (
    Finding,
    check_passages,
    check_tender,
    load_rules,
    read_number,
)
from gemeingut.apps.rag.readers import Passage
from gemeingut.errors import InputError
from tests.apps.rag.documents import write_pdf
from tests.test_cli import invoke

PLANTED = [
    "Ausschreibung Tablets für Schulen. Geliefert werden 200 Tablets, Hersteller: Apple iPad "
    "Air. Die Geräte sind energieeffizient (Energieeffizienzklasse A).",
    "Drucker der Marke Canon oder gleichwertig. Die Angebotsfrist beträgt 20 Kalendertage ab "
    "Absendung der Bekanntmachung.",
    "Der Zuschlag wird auf das wirtschaftlichste Angebot erteilt. Zuschlagskriterien sind Preis "
    "und Qualität.",
]
CLEAN = [
    "Geliefert werden 200 Tablets mit mindestens 10 Zoll Bildschirm, barrierefrei bedienbar "
    "nach EN 301 549, energieeffizient.",
    "Die Angebotsfrist beträgt 35 Kalendertage. Zuschlagskriterien: Preis (60 Prozent) und "
    "Qualität (40 Prozent).",
]


RULE = """rules:
  - id: eigen
    source: "§ 1"
    severity: error
    title: {de: T, en: T}
    advice: {de: A, en: A}
"""


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "ausschreibung.pdf", PLANTED)


def test_planted_violations_are_found_with_their_paragraph_and_page(planted: Path) -> None:
    findings = check_tender(planted, load_rules())
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"produktneutral", "angebotsfrist", "zuschlagskriterien",
                            "barrierefreiheit"}  # fmt: skip
    brand = by_rule["produktneutral"]
    assert brand.source == "§ 31 Abs. 6 VgV" and brand.page == 1
    assert "Hersteller: Apple iPad Air." in brand.passage
    assert [f.passage for f in findings if f.rule == "produktneutral"] == [brand.passage]
    deadline = by_rule["angebotsfrist"]
    assert deadline.source == "§ 15 Abs. 2 und 4 VgV" and deadline.page == 2
    assert "20 Kalendertage" in deadline.passage
    criteria = by_rule["zuschlagskriterien"]  # the weights missing: the criteria's sentence
    assert (criteria.passage, criteria.page) == ("Zuschlagskriterien sind Preis und\nQualität.", 3)
    assert [f.severity for f in findings][:3] == ["error"] * 3  # errors first
    # the draft says nothing of accessibility: the title says so
    assert (
        by_rule["barrierefreiheit"].title == "Barrierefreiheit fehlt: der Entwurf sagt nichts dazu"
    )


def test_a_clean_tender_has_no_findings(tmp_path: Path) -> None:
    assert check_tender(write_pdf(tmp_path / "gut.pdf", CLEAN), load_rules()) == []


def _findings(*paragraphs: str, section: str | None = None) -> dict[str, list[Finding]]:
    """The shipped rules' findings of paragraphs (under one heading), by rule."""
    found: dict[str, list[Finding]] = {}
    passages = [Passage(text, section=section) for text in paragraphs]
    for finding in check_passages(passages, load_rules(), "de"):
        found.setdefault(finding.rule, []).append(finding)
    return found


def test_a_vat_rate_is_no_weighting_of_the_award_criteria() -> None:
    found = _findings(
        "Die Zuschlagskriterien werden nach Ablauf der Angebotsfrist bekannt gegeben. Die "
        "Mehrwertsteuer von 19 % ist einzurechnen. Die Vertragsstrafe beträgt 5 Prozent."
    )
    assert found["zuschlagskriterien"][0].passage == (  # the criteria's sentence, not the VAT's
        "Die Zuschlagskriterien werden nach Ablauf der Angebotsfrist bekannt gegeben."
    )


@pytest.mark.parametrize(
    ("paragraphs", "section"),
    [
        (["Zuschlagskriterien: Preis 60 %, Qualität 40 %."], None),
        (["Zuschlagskriterien sind Preis und Qualität.", "Gewichtung: Preis 70, Qualität 30 "
          "Prozent."], None),
        (["Die Zuschlagskriterien sind Preis und Qualität.", "Preis: 60 Punkte", "Qualität: 40 "
          "Punkte"], "Zuschlagskriterien und Wertung"),
        (["Die Zuschlagskriterien Preis und Qualität werden gleich gewichtet."], None),
    ],
)  # fmt: skip
def test_a_weighting_counts_in_the_sentence_or_section_of_the_award_criteria(
    paragraphs: list[str], section: str | None
) -> None:
    assert "zuschlagskriterien" not in _findings(*paragraphs, section=section)


@pytest.mark.parametrize(
    ("sentence", "short"),
    [
        ("Die Angebotsfrist beträgt drei Tage.", True),
        ("Die Angebotsfrist beträgt zehn Tagen ab Absendung.", True),
        ("Die Angebotsfrist beträgt 14 Werktage.", True),  # a Werktag counts as one day
        ("Die Angebotsfrist endet nach 2 Wochen.", True),
        ("Die Angebotsfrist beträgt vier Wochen.", True),
        ("Die Angebotsfrist beträgt einen Monat.", True),  # 28 days: the shortest month
        ("Die Angebotsfrist beträgt fünf Wochen.", False),
        ("Die Angebotsfrist beträgt 30 Werktage.", False),
        ("Die Angebotsfrist beträgt einunddreißig Kalendertage.", False),
        ("Die Angebotsfrist, gerechnet ab dem Tag nach der Absendung, beträgt 35 Tage.", False),
        ("Die Angebotsfrist, gerechnet ab dem Tag nach der Absendung, beträgt 12 Tage.", True),
    ],
)
def test_deadlines_in_words_weeks_and_working_days_are_checked(sentence: str, short: bool) -> None:
    found = _findings(sentence)
    assert ("angebotsfrist" in found) is short
    assert not short or found["angebotsfrist"][0].passage == sentence


@pytest.mark.parametrize(
    ("word", "number"),
    [("30", 30), ("drei", 3), ("Zehn", 10), ("zwölf", 12), ("zwoelf", 12), ("sechzehn", 16),
     ("siebzig", 70), ("dreißig", 30), ("dreissig", 30), ("einundzwanzig", 21),
     ("neunundneunzig", 99), ("eine", 1), ("einen", 1), ("hundert", 100),
     ("zweihundertfünfzehn", 215), ("hundertundeins", 101), ("einige", None), ("am", None),
     ("zwanzigundeins", None), ("einsundzwanzig", None), ("", None), ("²", None),
     ("123456789", 123456789), ("1" * 5000, None)],
)  # fmt: skip
def test_german_number_words_are_read(word: str, number: int | None) -> None:
    assert read_number(word) == number


def test_a_deadline_of_too_many_digits_is_a_warning_not_a_traceback() -> None:
    found = _findings(f"Die Angebotsfrist beträgt {'9' * 20} Tage.")
    assert found["angebotsfrist"][0].severity == "warning"  # a number the rule cannot read
    # thousands of digits make a sentence too long to be one: checked in pieces, and said
    found = _findings(f"Die Angebotsfrist beträgt {'9' * 5000} Tage.")
    assert found["satzlaenge"][0].severity == "warning"


def test_a_denied_clause_is_not_there_and_its_sentence_is_cited() -> None:
    found = _findings(
        "Barrierefreiheit wird ausdrücklich nicht gefordert. Umweltaspekte spielen keine Rolle."
    )
    assert (
        found["barrierefreiheit"][0].passage
        == "Barrierefreiheit wird ausdrücklich nicht gefordert."
    )
    assert found["nachhaltigkeit"][0].passage == "Umweltaspekte spielen keine Rolle."
    assert _findings("Barrierefreiheit: entfällt")["barrierefreiheit"][0].passage
    kept = _findings(
        "Die Geräte sind barrierefrei nach EN 301 549; Geräte ohne Sprachausgabe sind nicht "
        "zugelassen. Umweltzeichen Blauer Engel ist nicht nur erwünscht, sondern gefordert."
    )
    assert "barrierefreiheit" not in kept and "nachhaltigkeit" not in kept


def test_brands_are_found_as_whole_words() -> None:
    found = _findings(
        "Lieferung von HP LaserJet Druckern und Logitech Mäusen.",
        "Geliefert werden Fujitsu-Rechner.",
        "Das Modell ist gegen HPV geprüft.",
        "Kyocera oder gleichwertig.",
    )
    assert [f.passage for f in found["produktneutral"]] == [
        "Lieferung von HP LaserJet Druckern und Logitech Mäusen.",
        "Geliefert werden Fujitsu-Rechner.",
    ]


def test_the_testers_draft_has_its_planted_violations_found(tmp_path: Path) -> None:
    draft = tmp_path / "t2.txt"
    draft.write_text(
        "Die Zuschlagskriterien werden nach Ablauf der Angebotsfrist bekannt gegeben. Die "
        "Mehrwertsteuer von 19 % ist einzurechnen. Barrierefreiheit wird ausdrücklich nicht "
        "gefordert. Umweltaspekte spielen keine Rolle. Die Angebotsfrist beträgt drei Tage. "
        "Lieferung von HP LaserJet Druckern und Logitech Mäusen.\n",
        encoding="utf-8",
    )
    result = invoke("assist", "tender", draft, "--json")
    assert result.exit_code == 1
    assert {f["rule"] for f in json.loads(result.stdout)} == {
        "produktneutral", "zuschlagskriterien", "angebotsfrist", "barrierefreiheit",
        "nachhaltigkeit"}  # fmt: skip


def test_a_rule_that_catches_no_number_warns_instead_of_failing(tmp_path: Path) -> None:
    own = tmp_path / "eigen.yaml"
    own.write_text(
        RULE + '    at_least: {pattern: "Frist von (?P<n>\\\\w+) Tagen", minimum: 30}\n',
        encoding="utf-8",
    )
    rules = [r for r in load_rules([own]) if r.id == "eigen"]
    passages = [Passage("Die Frist von zehn Tagen gilt. Die Frist von einigen Tagen gilt.")]
    words, unreadable = check_passages(passages, rules, "de")
    assert (words.passage, words.severity) == ("Die Frist von zehn Tagen gilt.", "error")
    assert unreadable.passage == "Die Frist von einigen Tagen gilt."
    assert unreadable.severity == "warning" and unreadable.rule == "eigen"
    assert unreadable.title == "„einigen“ ist keine Zahl: Regel eigen kann sie nicht prüfen"


def test_own_rules_add_to_and_replace_the_shipped_ones(planted: Path, tmp_path: Path) -> None:
    own = tmp_path / "eigene.yaml"
    own.write_text(
        """rules:
  - id: angebotsfrist           # replaced: an office below the EU thresholds
    source: "§ 13 UVgO"
    severity: warning
    title: {de: Frist zu kurz, en: Deadline too short}
    advice: {de: Mindestens zehn Tage., en: At least ten days.}
    at_least: {pattern: "Angebotsfrist[^.]{0,80}?(?P<n>\\\\d+)\\\\s*(?:Kalender)?tage", minimum: 10}
  - id: tariftreue
    source: "§ 2 TVgG NRW"
    severity: error
    title: {de: Tariftreue fehlt, en: No collective-pay clause}
    advice: {de: Tariftreueerklärung fordern., en: Require a pay declaration.}
    required: [["Tariftreue"]]
""",
        encoding="utf-8",
    )
    findings = {f.rule: f for f in check_tender(planted, load_rules([own]), language="en")}
    assert "angebotsfrist" not in findings  # 20 days >= 10
    assert findings["tariftreue"].source == "§ 2 TVgG NRW"
    assert findings["tariftreue"].title == "No collective-pay clause"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules:\n  - id: x\n    source: s\n", r"Regel 1 \(x\), Feld severity"),
        ("rules:\n  - {id: y, source: s, severity: error, title: {de: a, en: b}, "
         "advice: {de: a, en: b}, forbidden: ['(']}\n",
         r"Zeile 2, Regel 1 \(y\), Feld forbidden.0: das Muster .* ist kein regulärer Ausdruck: "
         r"an Stelle 1: .*schließende"),
        ("rules:\n  - {id: z, source: s, severity: error, title: {de: a, en: b}, "
         "advice: {de: a, en: b}}\n", "genau eines von forbidden, required, at_least"),
        ("rules: [\n", r"kaputt.yaml, Zeile 2, Spalte 1: kein YAML"),
        # pydantic's English is said in German, and every problem is named
        (RULE + "    forbidden: [HP]\n    colour: red\n",
         r"Regel 1 \(eigen\), Feld colour: ist keine bekannte Einstellung \(Hinweis"),
        (RULE + "    forbidden: HP\n",
         r"Regel 1 \(eigen\), Feld forbidden: muss eine Liste sein \(Hinweis"),
        (RULE.replace("id: eigen", "id: Eigen Regel").replace("error", "fatal")
         + "    forbidden: [HP]\n",
         r"Zeile 2, Regel 1 \(Eigen Regel\), Feld id: hat nicht die verlangte Form .*; Zeile 4, "
         r"Regel 1 \(Eigen Regel\), Feld severity: muss eines sein von: 'error', 'warning', "
         r"'hint' \(Hinweis"),
        ("- id: x\n", r"kaputt.yaml: \(oberste Ebene\): muss ein Objekt sein \(Hinweis"),
        ("", r"kaputt.yaml ist leer \(Hinweis"),
    ],
)  # fmt: skip
def test_a_broken_rule_file_names_the_rule_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    broken = tmp_path / "kaputt.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected) as raised:
        load_rules([broken])
    assert "should" not in str(raised.value.message) and "line" not in str(raised.value.message)


def test_the_command_reports_findings_and_exits_1_on_errors(planted: Path, tmp_path: Path) -> None:
    result = invoke("assist", "tender", planted, "--json")
    assert result.exit_code == 1
    rules = {f["rule"] for f in json.loads(result.stdout)}
    assert "produktneutral" in rules
    text = invoke("--lang", "en", "assist", "tender", planted)
    assert "Specification names a product or brand" in text.output
    assert "§ 31(6) VgV" in text.output
    clean = invoke("assist", "tender", write_pdf(tmp_path / "gut.pdf", CLEAN))
    assert clean.exit_code == 0, clean.output
    plain = tmp_path / "entwurf.txt"  # a text file has no pages and here no sections: its lines
    plain.write_text("Vorbemerkung\n\nGeliefert werden Drucker der Marke HP.\n", encoding="utf-8")
    quoted = invoke("--lang", "de", "assist", "tender", plain).output
    assert "    Zeile 3: „Geliefert werden Drucker der Marke HP.“" in quoted, quoted


def test_the_server_checks_a_pasted_draft_in_the_clients_language(model_dir: Path) -> None:
    import httpx

    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend
    from tests.http_server import running_server

    with running_server(create_app(TransformersBackend(model_dir))) as url:
        german = httpx.post(f"{url}/v1/assist/tender", json={"text": "\n\n".join(PLANTED)})
        english = httpx.post(
            f"{url}/v1/assist/tender",
            json={"text": "\n\n".join(CLEAN)},
            headers={"Accept-Language": "en"},
        )
        empty = httpx.post(f"{url}/v1/assist/tender", json={"text": ""})
        blank = httpx.post(f"{url}/v1/assist/tender", json={"text": "  \n\n \t "})
    body = german.json()
    assert german.status_code == 200 and body["errors"] == 3
    rules = {f["rule"]: f for f in body["findings"]}
    assert rules["produktneutral"]["source"] == "§ 31 Abs. 6 VgV"
    assert "Hersteller: Apple iPad Air." in rules["produktneutral"]["passage"]
    assert (
        rules["barrierefreiheit"]["title"] == "Barrierefreiheit fehlt: der Entwurf sagt nichts dazu"
    )
    assert english.json() == {"object": "tender.check", "errors": 0, "findings": []}
    assert empty.status_code == 400
    assert blank.status_code == 400, blank.text
    assert blank.json()["error"]["message"] == "kein Text gefunden"


def test_the_server_checks_a_draft_sent_as_a_file_and_keeps_nothing(
    model_dir: Path, planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64
    import tempfile

    import httpx

    from gemeingut.serve.app import create_app
    from gemeingut.serve.backends import TransformersBackend
    from tests.http_server import running_server

    scratch = tmp_path / "scratch"  # where the server reads the file
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    data = base64.b64encode(planted.read_bytes()).decode()

    def check(body: dict) -> httpx.Response:
        return httpx.post(f"{url}/v1/assist/tender", json=body)

    with running_server(create_app(TransformersBackend(model_dir))) as url:
        found = check({"file": {"name": "../../ausschreibung.pdf", "data": data}})
        both = check({"text": "Tablets", "file": {"name": "a.pdf", "data": data}})
        unknown = check({"file": {"name": "ausschreibung.exe", "data": data}})
        not_base64 = check({"file": {"name": "a.pdf", "data": "%%%"}})
        damaged = check({"file": {"name": "a.pdf", "data": base64.b64encode(b"no pdf").decode()}})
        odd_names = [
            check({"file": {"name": name, "data": data}})
            for name in ("a\u0000b.pdf", "Ausschreibung_" + "ä" * 120 + ".pdf")
        ]
        bomb = check({"file": {"name": "gross.docx", "data": _zip_bomb()}})
        latin1 = base64.b64encode("Gebührenordnung".encode("latin-1")).decode()
        not_utf8 = check({"file": {"name": "latin1.txt", "data": latin1}})
        markdown = base64.b64encode(b"# Ausschreibung\n\n## Leistung\n\nHersteller: Dell").decode()
        sections = check({"file": {"name": "entwurf.md", "data": markdown}})
    assert found.status_code == 200, found.text
    assert found.json()["errors"] == 3
    assert {f["rule"] for f in found.json()["findings"]} >= {"produktneutral", "angebotsfrist"}
    by_rule = {f["rule"]: f for f in found.json()["findings"]}
    assert by_rule["angebotsfrist"]["page"] == 2 and by_rule["produktneutral"]["page"] == 1
    assert by_rule["zuschlagskriterien"]["page"] == 3  # the criteria named without weights
    brand = next(f for f in sections.json()["findings"] if f["rule"] == "produktneutral")
    assert (brand["page"], brand["section"]) == (None, "Ausschreibung › Leistung")
    assert both.status_code == 400
    assert unknown.status_code == 400 and "supported: " not in unknown.text
    assert "Dateien vom Typ .exe können nicht gelesen werden" in unknown.json()["error"]["message"]
    assert not_base64.status_code == 400 and damaged.status_code == 400
    damaged_said = "a.pdf: die Datei ist beschädigt oder keine PDF-Datei"
    assert damaged.json()["error"]["message"].startswith(damaged_said)
    assert "gemeingut-tender" not in damaged.text  # the temporary file is not named
    assert not_utf8.status_code == 200, not_utf8.text  # read as Windows-1252
    assert [r.status_code for r in odd_names] == [200, 200]  # the name is only shown
    assert bomb.status_code == 400 and "zu viele Daten" in bomb.json()["error"]["message"]
    assert list(scratch.iterdir()) == []  # the draft is checked, not kept


def _zip_bomb() -> str:
    """A small DOCX whose document unpacks to 60 MB of zeros."""
    import base64
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * (60 * 1024 * 1024))
    return base64.b64encode(out.getvalue()).decode()
