"""An embedding model's folder that lacks a file it needs is refused naming that file, by
`rag ingest --embed`, by `gemeingut serve` (before serving) and by the embedder itself: no
traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemeingut.apps.rag.embedders import EmbedderSpec, open_embedder
from gemeingut.errors import InputError
from tests.encoders.tiny_encoders import make_model2vec, make_sentence_bert
from tests.test_cli import invoke


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("1_Pooling/config.json", "config.json"),
        ("model.safetensors", "model.safetensors"),
    ],
)
def test_a_sentence_transformers_folder_without_a_file_names_it(
    tmp_path: Path, removed: str, named: str
) -> None:
    model = make_sentence_bert(tmp_path / "kaputt")
    (model / removed).unlink()
    with pytest.raises(InputError) as refused:
        open_embedder(EmbedderSpec(str(model)))
    assert named in str(refused.value.args[0]) and str(model) in str(refused.value.args[0])


def test_a_model2vec_folder_without_its_tokenizer_is_refused_by_name(tmp_path: Path) -> None:
    model = make_model2vec(tmp_path / "statisch")
    (model / "tokenizer.json").unlink()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Der Antrag.", encoding="utf-8")
    result = invoke("rag", "ingest", "amt", docs, "--root", tmp_path / "c", "--embed", model)
    assert result.exit_code != 0
    assert "tokenizer.json" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "c" / "amt" / "collection.json").exists()


def test_serve_names_the_missing_weights_of_an_encoder(tmp_path: Path) -> None:
    model = make_sentence_bert(tmp_path / "ohne-gewichte")
    (model / "model.safetensors").unlink()
    result = invoke("serve", model, "--port", "0")
    assert result.exit_code != 0
    assert "model.safetensors" in result.output and "Traceback" not in result.output
