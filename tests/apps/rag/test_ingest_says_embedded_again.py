"""An ingest that embeds a whole collection again because its model now makes other vectors
(pooling, prompts: `prompted.vectors_made_otherwise`) says so in its report and in `rag
ingest`'s summary: it took the time of embedding every chunk, and answers may rank passages
otherwise from now on. A collection's first vectors and an ingest that keeps them say nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.encoders.test_encoder_rag import DOCUMENTS, _ingested, as_an_older_gemeingut_left_it
from tests.encoders.tiny_encoders import make_sentence_bert
from tests.test_cli import invoke

SAID = "neu eingebettet"


def _again(tmp_path: Path, root: Path, *flags: str):
    result = invoke("rag", "ingest", "amt", tmp_path / "docs", "--root", root, *flags)
    assert result.exit_code == 0, result.output
    return result


def test_an_ingest_says_it_embedded_every_chunk_again_and_why(tmp_path: Path) -> None:
    model = make_sentence_bert(tmp_path / "e5-winzig", pooling="cls_token")
    root = _ingested(tmp_path, model)  # the collection's first vectors: nothing to say
    kept = _again(tmp_path, root, "--json")
    assert json.loads(kept.stdout)["embedded_again"] == 0
    assert SAID not in _again(tmp_path, root).output

    as_an_older_gemeingut_left_it(root, model)
    said = " ".join(_again(tmp_path, root).output.split())
    chunks = len(DOCUMENTS)  # one short chunk each
    assert (
        f"alle {chunks} Textabschnitte neu eingebettet: Das Modell bettet jetzt anders ein "
        "(Pooling/Prompts)"
    ) in said, said
    as_an_older_gemeingut_left_it(root, model)
    report = json.loads(_again(tmp_path, root, "--json").stdout)
    assert report["embedded_again"] == chunks == report["chunks"], report
    assert json.loads(_again(tmp_path, root, "--json").stdout)["embedded_again"] == 0


def test_a_collection_of_one_chunk_is_said_in_the_singular(tmp_path: Path) -> None:
    """Before: "alle 1 Textabschnitte neu eingebettet"."""
    model = make_sentence_bert(tmp_path / "e5-winzig", pooling="cls_token")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "frist.txt").write_text(DOCUMENTS["frist.txt"], encoding="utf-8")
    root = tmp_path / "c"
    _again(tmp_path, root, "--embed", str(model))
    as_an_older_gemeingut_left_it(root, model)
    said = " ".join(_again(tmp_path, root).output.split())
    assert "der eine Textabschnitt neu eingebettet: Das Modell bettet" in said, said
