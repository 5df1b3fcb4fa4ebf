"""Fixtures for the serve stage: a tiny Llama made here, and a real server on loopback.

The model is random (2 layers, d=32) but real: our own tokenizer with its ChatML template, a
`LlamaForCausalLM` saved with `save_pretrained`, a generation config that stops on `</s>` and
`<|im_end|>`. Everything is built once per session; the server runs uvicorn in a thread on a
free port, so the tests talk real HTTP to the code `gemeingut serve` runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
import torch
from fastapi import FastAPI
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

from gemeingut.model.tokenizer import EOS, IM_END, train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.http_server import running_server

MODEL_NAME = "tiny-llama"

SUBJECTS_DE = ["Die Katze", "Der Hund", "Das Kind", "Die Lehrerin", "Der Bäcker", "Die Stadt"]
VERBS_DE = ["sieht", "liebt", "findet", "sucht", "malt"]
OBJECTS_DE = ["den Garten.", "das Buch.", "die Brücke.", "den Fluss.", "das Brot am Morgen."]
SUBJECTS_EN = ["The cat", "A dog", "The child", "The teacher", "A baker", "The city"]
VERBS_EN = ["sees", "loves", "finds", "paints"]
OBJECTS_EN = ["the garden.", "a book.", "the bridge.", "the river.", "fresh bread today."]


def sentences() -> list[str]:
    german = [" ".join(p) for p in itertools.product(SUBJECTS_DE, VERBS_DE, OBJECTS_DE)]
    english = [" ".join(p) for p in itertools.product(SUBJECTS_EN, VERBS_EN, OBJECTS_EN)]
    return german + english


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny-model")
    tokenizer = train_tokenizer(sentences(), out, vocab_size=400)
    eos_ids = [tokenizer.convert_tokens_to_ids(EOS), tokenizer.convert_tokens_to_ids(IM_END)]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=eos_ids,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def backend(model_dir: Path) -> TransformersBackend:
    return TransformersBackend(model_dir, model_name=MODEL_NAME)


@pytest.fixture(scope="session")
def serve() -> Callable[[FastAPI], AbstractContextManager[str]]:
    """`with serve(app) as url:` runs another app for one test."""
    return running_server


@pytest.fixture(scope="session")
def server_url(backend: TransformersBackend) -> Iterator[str]:
    """Base URL (no `/v1`) of the live server that most tests share."""
    with running_server(create_app(backend)) as url:
        yield url
