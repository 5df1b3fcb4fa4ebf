"""Fixtures for the audit tests: a small German model, and our server running it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.audit.suites import shipped
from tests.audit.tiny_lm import train_tiny_lm
from tests.http_server import serving_process

SERVED_NAME = "tiny-de"


def task_texts() -> list[str]:
    """German text drawn from the shipped task data, so the tokenizer knows its words."""
    texts = []
    for file in sorted(shipped("tasks").glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            texts += [str(v) for k, v in item.items() if k not in ("id", "answer")]
    return texts


@pytest.fixture(scope="session")
def german_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = task_texts()
    return train_tiny_lm(texts, tmp_path_factory.mktemp("german-model"), steps=60)


@pytest.fixture(scope="session")
def german_endpoint(german_model: Path) -> Iterator[str]:
    """`gemeingut serve` of the German model, in its own process."""
    with serving_process(str(german_model), SERVED_NAME) as url:
        yield url
