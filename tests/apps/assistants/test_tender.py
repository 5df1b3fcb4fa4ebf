"""The tender check finds violations planted in a test tender, each with the rule's § and the
passage (and page) of the tender; a clean tender passes; rules are data users extend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.apps.assistants.tender import check_tender, load_rules
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


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "ausschreibung.pdf", PLANTED)


def test_planted_violations_are_found_with_their_paragraph_and_page(planted: Path) -> None:
    findings = check_tender(planted, load_rules())
    by_rule = {f.rule: f for f in findings}
    assert set(by_rule) == {"produktneutral", "angebotsfrist", "zuschlagskriterien",
                            "barrierefreiheit"}  # fmt: skip
    brand = by_rule["produktneutral"]
    assert brand.source == "§ 31 Abs. 6 VgV; § 23 Abs. 5 UVgO" and brand.page == 1
    assert "Hersteller: Apple iPad Air." in brand.passage
    assert [f.passage for f in findings if f.rule == "produktneutral"] == [brand.passage]
    deadline = by_rule["angebotsfrist"]
    assert deadline.source == "§ 15 Abs. 2 VgV" and deadline.page == 2
    assert "20 Kalendertage" in deadline.passage
    assert by_rule["zuschlagskriterien"].passage is None  # missing: there is no passage
    assert [f.severity for f in findings][:3] == ["error"] * 3  # errors first
    assert by_rule["barrierefreiheit"].title == "Barrierefreiheit nicht berücksichtigt"


def test_a_clean_tender_has_no_findings(tmp_path: Path) -> None:
    assert check_tender(write_pdf(tmp_path / "gut.pdf", CLEAN), load_rules()) == []


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
         r"Regel 1 \(y\): das Muster .* ist kein regulärer Ausdruck"),
        ("rules:\n  - {id: z, source: s, severity: error, title: {de: a, en: b}, "
         "advice: {de: a, en: b}}\n", "genau eines von forbidden, required, at_least"),
        ("rules: [\n", r"line \d+: kein YAML"),
    ],
)  # fmt: skip
def test_a_broken_rule_file_names_the_rule_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    broken = tmp_path / "kaputt.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_rules([broken])


def test_the_command_reports_findings_and_exits_1_on_errors(planted: Path, tmp_path: Path) -> None:
    result = invoke("assist", "tender", planted, "--json")
    assert result.exit_code == 1
    rules = {f["rule"] for f in json.loads(result.stdout)}
    assert "produktneutral" in rules
    text = invoke("--lang", "en", "assist", "tender", planted)
    assert "Specification names a product or brand" in text.output
    assert "§ 31 Abs. 6 VgV" in text.output
    clean = invoke("assist", "tender", write_pdf(tmp_path / "gut.pdf", CLEAN))
    assert clean.exit_code == 0, clean.output


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
    body = german.json()
    assert german.status_code == 200 and body["errors"] == 3
    rules = {f["rule"]: f for f in body["findings"]}
    assert rules["produktneutral"]["source"] == "§ 31 Abs. 6 VgV; § 23 Abs. 5 UVgO"
    assert "Hersteller: Apple iPad Air." in rules["produktneutral"]["passage"]
    assert rules["barrierefreiheit"]["title"] == "Barrierefreiheit nicht berücksichtigt"
    assert english.json() == {"object": "tender.check", "errors": 0, "findings": []}
    assert empty.status_code == 400


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
    assert found.status_code == 200, found.text
    assert found.json()["errors"] == 3
    assert {f["rule"] for f in found.json()["findings"]} >= {"produktneutral", "angebotsfrist"}
    assert both.status_code == 400
    assert unknown.status_code == 400 and "supported: " not in unknown.text
    assert "Dateien vom Typ .exe können nicht gelesen werden" in unknown.json()["error"]["message"]
    assert not_base64.status_code == 400 and damaged.status_code == 400
    assert damaged.json()["error"]["message"] == "a.pdf: nicht lesbar"
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
