"""A draft's key point, audience or occasion given blank is refused before a collection is
opened or a model asked: by the CLI with exit 2 (as a blank `--subject`), by the server with a
400 on that field. Before, `--point ""` became a part under an empty heading `## `, written by
the model, and a blank audience or occasion went into the prompt unsaid."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gemeingut.apps.rag.index import ingest
from tests.http_server import serving_process
from tests.test_cli import invoke

NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens: a model asked would be a different error


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (("--point", "Radwege", "--point", ""), "Kernpunkt 2 ist leer"),
        (("--point", "  "), "Kernpunkt 1 ist leer"),
        (("--audience", ""), "das Publikum ist leer"),
        (("--occasion", " "), "der Anlass ist leer"),
        (("--subject", " "), "der Entwurf braucht ein Thema"),
    ],
)
def test_the_cli_refuses_a_blank_value_before_it_opens_anything(
    tmp_path: Path, given: tuple[str, ...], said: str
) -> None:
    result = invoke(
        "assist", "rede", "fehlt", "--subject", "Verkehr", *given,
        "--root", tmp_path / "keine", "--endpoint", NOWHERE,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert said in result.stderr and "Sammlung" not in result.stderr, result.stderr
    assert "Traceback" not in result.output and "## " not in result.stdout


def test_a_memo_with_a_blank_subject_is_refused_as_before(tmp_path: Path) -> None:
    memo = invoke("assist", "vermerk", "fehlt", "--subject", "", "--root", tmp_path / "keine")
    assert memo.exit_code == 2 and "der Entwurf braucht ein Thema" in memo.stderr, memo.output


def test_the_server_refuses_a_blank_field_with_a_400_on_it(model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rad.md").write_text("# Radwege\n\nDie Stadt baut Radwege.\n")
    ingest(tmp_path / "collections", "amt", [tmp_path / "docs"])
    speech = {"kind": "rede", "collection": "amt", "subject": "Verkehr"}
    asked = [
        ({"points": ["Radwege", "   "]}, "points", "Kernpunkt 2 ist leer"),
        ({"audience": "  "}, "audience", "das Publikum ist leer"),
        ({"occasion": "\t"}, "occasion", "der Anlass ist leer"),
    ]
    root = str(tmp_path / "collections")
    with serving_process(str(model_dir), "winzig", "--collections", root) as url:
        for extra, field, said in asked:
            answer = httpx.post(f"{url}/v1/assist/draft", json=speech | extra, timeout=60)
            assert answer.status_code == 400, answer.text
            error = answer.json()["error"]
            assert error["param"] == field and said in error["message"], answer.text
        english = httpx.post(
            f"{url}/v1/assist/draft",
            json=speech | {"points": [" "]},
            headers={"Accept-Language": "en"},
            timeout=60,
        )
    assert english.json()["error"]["message"] == "key point 1 is empty", english.text
