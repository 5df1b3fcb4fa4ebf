"""A policy rule that consults a text-classification model. A tiny classifier trained here to
flag texts that speak of "Gift" refuses them by its rule's id, also where the word lies far past
the model's window in a long text; harmless texts pass; the policy publishes the model's labels
and the hash of its files; a missing folder, an unknown label or a classifier that would redact
is said when the policy loads."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
import torch
from fastapi import FastAPI
from transformers import LlamaConfig, LlamaForSequenceClassification

from gemeingut.errors import InputError
from gemeingut.model.presets import PRESETS
from gemeingut.model.tokenizer import train_tokenizer
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, create_key
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.gateway.store import open_store
from tests.serve.conftest import MODEL_NAME, sentences

Serve = Callable[[FastAPI], AbstractContextManager[str]]
WINDOW = 32  # the classifier's context: long texts are read in windows of it
RULE = """id: amt
version: "1"
title: {{de: Amt, en: Office}}
rules:
  - id: gift
    kind: classifier
    action: {action}
    model: {model}
    labels: [{label}]
    threshold: 0.8
    text:
      de: Fragen zu Giften beantwortet dieser Dienst nicht.
      en: This service does not answer questions about poisons.
"""


def flagged(text: str, rng: random.Random) -> str:
    words = text.split()
    words.insert(rng.randrange(len(words) + 1), "Gift")
    return " ".join(words)


def passages(rng: random.Random, n: int) -> list[str]:
    """Runs of a few sentences cut anywhere, as a window of a long text reads."""
    pool = sentences()
    runs = []
    for _ in range(n):
        words = " ".join(rng.choice(pool) for _ in range(4)).split()
        start = rng.randrange(len(words) // 2)
        runs.append(" ".join(words[start : start + rng.randint(3, 14)]))
    return runs


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Llama sequence classifier (2 layers, d=32) trained until it tells them apart."""
    out = tmp_path_factory.mktemp("classifier")
    rng = random.Random(0)
    harmless = sentences() + passages(rng, 300)
    poisonous = [flagged(text, rng) for text in harmless]
    tokenizer = train_tokenizer(harmless + poisonous, out, vocab_size=400)
    config = LlamaConfig(
        **PRESETS["micro"],
        vocab_size=len(tokenizer),
        max_position_embeddings=WINDOW,
        pad_token_id=tokenizer.pad_token_id,
        id2label={0: "harmlos", 1: "gefahr"},
        label2id={"harmlos": 0, "gefahr": 1},
    )
    torch.manual_seed(0)
    model = LlamaForSequenceClassification(config)
    texts, labels = harmless + poisonous, torch.tensor([0] * len(harmless) + [1] * len(poisonous))
    batch = tokenizer(texts, padding=True, truncation=True, max_length=WINDOW, return_tensors="pt")
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _step in range(400):
        loss = model(**batch, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if loss.item() < 0.005:
            break
    with torch.no_grad():
        predicted = model(**batch).logits.argmax(-1)
    assert bool((predicted == labels).all()), "the tiny classifier did not learn its task"
    model.config.pad_token_id = None  # as many a classifier's config: the tokenizer's is used
    model.save_pretrained(out)
    tokenizer.model_max_length = WINDOW
    tokenizer.save_pretrained(out)
    return out


def policy_file(folder: Path, model: str, label: str = "gefahr", action: str = "refuse") -> Path:
    path = folder / "policy.yaml"
    path.write_text(RULE.format(model=model, label=label, action=action), encoding="utf-8")
    return path


def test_a_classifier_rule_refuses_what_its_model_flags_anywhere_in_a_text(
    classifier_dir: Path, tmp_path: Path
) -> None:
    policy = Policy.load(policy_file(tmp_path, str(classifier_dir)))
    refused = policy.check("Die Katze findet Gift im Garten.")
    assert refused.refused_by is not None and refused.refused_by.id == "gift"
    assert policy.check("Die Katze findet den Garten.").refused_by is None
    preamble = " ".join(sentences()[:12])  # about ten windows of harmless text
    assert policy.check(preamble).refused_by is None
    late = policy.check(preamble + " Der Hund sieht Gift den Fluss.")
    assert late.refused_by is not None  # past the first window, still read
    published = policy.published()
    assert published["classifiers"] == {
        "gift": {"sha256": policy.classifiers["gift"].fingerprint, "labels": ["harmlos", "gefahr"]}
    }


def test_the_server_refuses_by_the_classifier_rule_and_records_it(
    classifier_dir: Path, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    engine = open_store(str(tmp_path / "gateway.db"))
    add_user(engine, "anna")
    _, key = create_key(engine, "anna")
    relative = policy_file(classifier_dir.parent, classifier_dir.name)  # beside the policy file
    app = create_app(backend, gateway=Gateway(engine), policy=Policy.load(relative))
    asked = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "Das Kind malt Gift."}]}
    with serve(app) as url:
        answer = httpx.post(
            f"{url}/v1/chat/completions", json=asked, headers={"authorization": f"Bearer {key}"}
        )
        published = httpx.get(f"{url}/v1/policy").json()
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith("abgelehnt nach Regel gift")
    assert published["classifiers"]["gift"]["labels"] == ["harmlos", "gefahr"]
    assert [r["decision"] for r in export(engine)] == ["policy:gift"]


@pytest.mark.parametrize(
    ("model", "label", "action", "said"),
    [
        ("gibt-es-nicht", "gefahr", "refuse", "enthält kein Modell"),
        ("{classifier}", "böse", "refuse", "hat keine Labels böse"),
        ("{classifier}", "gefahr", "redact", "eine Klassifikator-Regel lehnt ab"),
    ],
    ids=["no-folder", "unknown-label", "redacts"],
)
def test_a_wrong_classifier_rule_is_said_when_the_policy_loads(
    classifier_dir: Path, tmp_path: Path, model: str, label: str, action: str, said: str
) -> None:
    path = policy_file(tmp_path, model.format(classifier=classifier_dir), label, action)
    with pytest.raises(InputError, match=said):
        Policy.load(path)


def test_a_classifier_that_cannot_pad_its_windows_is_said_when_the_policy_loads(
    classifier_dir: Path, tmp_path: Path
) -> None:
    """Windows of a long text are batched and so padded: a tokenizer with no token to pad
    with (no pad, end or unknown token) would fail on the first long request; it fails at
    start instead."""
    import json
    import shutil

    broken = shutil.copytree(classifier_dir, tmp_path / "ohne-pad")
    config = json.loads((broken / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.update(pad_token=None, eos_token=None, unk_token=None)
    (broken / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(InputError, match="ist kein Textklassifikationsmodell"):
        Policy.load(policy_file(tmp_path, str(broken)))
