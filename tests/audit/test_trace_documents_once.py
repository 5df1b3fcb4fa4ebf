"""`audit trace` names each document a span occurs in once, with how often it occurs there,
not once per occurrence (`d0; d0; d0`)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.audit.tiny_lm import random_model
from tests.test_cli import invoke

PHRASE = "Die Gemeinde prüft jeden Antrag auf Wohngeld sorgfältig und schnell."


def test_a_document_that_repeats_a_span_is_listed_once_with_its_count(tmp_path: Path) -> None:
    model = random_model(tmp_path / "m", "llama", 0, [PHRASE, "Ein anderer Satz."])
    data = tmp_path / "train.jsonl"
    documents = [{"id": "d0", "text": f"{PHRASE} {PHRASE}", "license": "CC0-1.0"}]
    documents.append({"id": "d1", "text": f"Vorher. {PHRASE}", "license": "CC0-1.0"})
    data.write_text("".join(json.dumps(d) + "\n" for d in documents), "utf-8")
    done = invoke("audit", "trace", model, "--text", PHRASE, "--training-data", data)
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "3×" in said and "in d0 (CC0-1.0) 2×; d1 (CC0-1.0)" in said, said
