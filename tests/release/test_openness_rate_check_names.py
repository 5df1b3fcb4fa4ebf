"""`gemeingut openness rate` listed each check by its id alone („✓ licence.weights: …“, „✗
osaid.gate: …“) inside German sentences: a procurement officer does not know what
`licence.share-alike` checks. Each check is said by its name, in German or English, with the id
that openness.json lists it by in parentheses, from one table of check names that every rating
(a bundle's, a foreign folder's, a fine-tune's) uses."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

import gemeingut.release.openness as openness_package
from gemeingut.cli import app
from gemeingut.release.openness.check_names import CHECK_NAMES

runner = CliRunner()
_ID = re.compile(r'"((?:artifacts|weights|licence|osaid)\.[a-z-]+)"')


def _check_lines(folder: Path, lang: str) -> list[str]:
    result = runner.invoke(app, ["--lang", lang, "openness", "rate", str(folder)])
    assert result.exit_code == 0, result.output
    return [line.strip() for line in result.output.splitlines() if line[:3] in ("  ✓", "  ✗")]


def test_a_bundle_s_checks_are_said_by_their_names(bundle: Path) -> None:
    german = _check_lines(bundle, "de")
    assert "✓ Lizenz der Gewichte (licence.weights): Apache-2.0 ist offen" in german, german
    assert "✓ Lizenz des Codes (licence.code): EUPL-1.2 ist von der OSI anerkannt" in german
    assert any(line.startswith("✗ Open Source AI Definition (osaid.gate): ") for line in german)
    assert any(line.startswith("✓ fünf offene Artefakte (artifacts.five): ") for line in german)
    for line in german:  # no line begins with a bare id
        assert not re.match(r"[✓✗] [a-z]+\.[a-z-]+:", line), line
        assert re.match(r"[✓✗] [^(]+ \([a-z]+\.[a-z-]+\): ", line), line
    english = _check_lines(bundle, "en")
    assert "✓ licence of the weights (licence.weights): Apache-2.0 is open" in english, english


def test_a_foreign_folder_s_checks_are_said_by_their_names(tmp_path: Path) -> None:
    folder = tmp_path / "fremd"
    folder.mkdir()
    (folder / "README.md").write_text(
        "---\nlicense: cc-by-sa-4.0\n---\n# fremd\n\nEin Modell.\n", encoding="utf-8"
    )
    german = _check_lines(folder, "de")
    assert "✗ Gewichte vorhanden (weights.present): nicht im Ordner" in german, german
    assert "✓ Lizenz der Gewichte (licence.weights): CC-BY-SA-4.0 ist offen" in german, german


def test_every_check_a_rating_writes_has_a_name_and_every_name_a_check() -> None:
    [package] = openness_package.__path__
    written = {
        found
        for source in Path(package).glob("*.py")
        if source.name not in ("check_names.py", "fields.py")  # tables of names, no rating
        for found in _ID.findall(source.read_text(encoding="utf-8"))
    }
    assert "licence.share-alike" in written and "licence.base" in written  # the scan finds them
    assert written == set(CHECK_NAMES), written ^ set(CHECK_NAMES)


def test_the_documents_licence_is_named_as_the_documentation_s() -> None:
    """`licence.documents` is the licence of the card, data statement and reports: the MOF's
    documentation licence, not of the training documents."""
    from gemeingut.i18n import text
    from gemeingut.release.openness.check_names import check_said
    from gemeingut.release.openness.fields import field_problems

    said = check_said("licence.documents")
    assert text(said, "de") == "Lizenz der Dokumentation (licence.documents)"
    assert text(said, "en") == "licence of the documentation (licence.documents)"
    shipped = {"release": {"license": {"document": {"name": "CC0-1.0", "path": "x"}}}}
    computed = {"release": {"license": {"document": {"name": "CC-BY-4.0", "path": "y"}}}}
    [name, path] = [text(p, "de") for p in field_problems("mof.yml", shipped, computed)]
    assert name.startswith("mof.yml: die Lizenz der Dokumentation ist „CC0-1.0“"), name
    assert path.startswith("mof.yml: die Datei, die die Lizenz der Dokumentation angibt"), path
