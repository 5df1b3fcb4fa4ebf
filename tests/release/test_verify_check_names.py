"""verify's lines about `openness.json` name a check as `openness rate` does: by what it checks,
in the reader's language, with its id in parentheses to find it in the file; a check this
version has no name for (a newer one's) by its id alone."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.i18n import text
from gemeingut.release.verify_openness import openness_problems


def _check(id_: str, passed: bool = True) -> dict:
    return {"id": id_, "passed": passed, "evidence": "model/", "detail": "ok"}


RATING = {"open": True, "checks": [_check("licence.weights"), _check("licence.code")]}


def _said(tmp_path: Path, shipped: dict, language: str) -> list[str]:
    (tmp_path / "openness.json").write_text(json.dumps(shipped), encoding="utf-8")
    return [text(p, language) for p in openness_problems(tmp_path, RATING)]


def test_a_missing_check_is_named_with_its_name_and_id(tmp_path: Path) -> None:
    shipped = {"open": True, "checks": [_check("licence.code")]}
    [german] = _said(tmp_path, shipped, "de")
    assert german.startswith(
        "openness.json: die Prüfung Lizenz der Gewichte (licence.weights) fehlt; die Dateien "
        "ergeben bestanden"
    ), german
    [english] = _said(tmp_path, shipped, "en")
    assert english.startswith(
        "openness.json: the check licence of the weights (licence.weights) is missing"
    ), english


def test_a_check_listed_twice_or_with_a_key_too_many_is_named(tmp_path: Path) -> None:
    extra = {**_check("licence.code"), "note": "x"}
    shipped = {"open": True, "checks": [_check("licence.weights"), extra, _check("licence.code")]}
    said = _said(tmp_path, shipped, "de")
    assert (
        "openness.json: die Prüfung Lizenz des Codes (licence.code) hat den Schlüssel „note“, "
        "den die Dateien nicht ergeben"
    ) in said, said
    assert "openness.json: die Prüfung Lizenz des Codes (licence.code) steht 2-mal darin" in said


def test_an_unknown_check_is_named_by_its_id(tmp_path: Path) -> None:
    rating = {"checks": [_check("licence.future")]}
    (tmp_path / "openness.json").write_text(json.dumps({"checks": []}), encoding="utf-8")
    [said] = [text(p, "de") for p in openness_problems(tmp_path, rating)]
    assert said.startswith("openness.json: die Prüfung licence.future fehlt"), said
