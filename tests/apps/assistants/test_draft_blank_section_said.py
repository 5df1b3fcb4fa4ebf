"""A section the model answered with blanks only says so in the draft's Markdown, as the page
says it („Das Modell hat keine Antwort geschrieben.“): the downloaded `.md` had an empty part
under each heading. Real HTTP on loopback: the draft route in front of an engine that writes
only blanks."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.responses import JSONResponse

from tests.apps.assistants.draft_engine import DRAFT, Engine, drafting


class WritingBlanks(Engine):
    """Answers every section with a line break and spaces, as a tiny model may."""

    def refusal(self) -> JSONResponse | None:
        choice = {"index": 0, "message": {"role": "assistant", "content": "\n  \n"}}
        usage = {"prompt_tokens": 50, "completion_tokens": 3, "total_tokens": 53}
        body = {"choices": [choice | {"finish_reason": "stop"}], "usage": usage}
        return JSONResponse(body | {"id": "c", "object": "chat.completion", "model": "engine"})


def test_a_blank_section_says_the_model_wrote_nothing(tmp_path: Path) -> None:
    with drafting(tmp_path, WritingBlanks()) as (url, _engine):
        said = {}
        for language in ("de", "en"):
            answer = httpx.post(
                f"{url}/v1/assist/draft",
                json=DRAFT,
                headers={"Accept-Language": language},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            said[language] = answer.json()["markdown"]
    for heading in ("## Sachverhalt", "## Bewertung", "## Vorschlag"):
        assert f"{heading}\n\nDas Modell hat keine Antwort geschrieben.\n" in said["de"]
    assert said["en"].count("\n\nThe model wrote no answer.\n") == 3
    assert "\n\n\n" not in said["de"]  # no empty part under a heading
