"""Suite-wide settings: offline, one thread, deterministic.

One intra-op thread keeps hashes comparable across runs and avoids the 30x slowdown that two
threads suffer when another process is busy on this 2-core machine.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Messages in German (the default) whatever the machine's locale; tests that need English ask.
os.environ["GEMEINGUT_LANG"] = "de"

import torch

torch.set_num_threads(1)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.corpus import open_documents, write_jsonl  # noqa: E402

TINY_RECIPE = """
name = "tiny"
description = "test build"

[data]
validation_fraction = 0.15
test_fraction = 0.15

[data.filters]  # the notes are a handful of words: below Gopher's 50-word minimum
gopher_quality = { min_words = 3 }
fineweb_quality = false

[[data.sources]]
name = "docs"
path = "docs.jsonl"

[[data.sources]]
name = "notes"
path = "notes"
license = "CC-BY-4.0"
url = "https://example.org/notes"
attribution = "Notes team"

[tokenizer]
vocab_size = 300
min_frequency = 2

[model]
preset = "micro"
snapshot_every = 15

[model.training]
steps = 30
batch_size = 4
seq_len = 32
learning_rate = 5e-3
warmup_steps = 3
eval_every = 10
eval_batches = 4
checkpoint_every = 10
threads = 1

[finetune]  # the pretrained model (default base) on chat examples, merged
data = "chat.jsonl"
merge = true
data_license = "CC-BY-4.0"
data_attribution = "Chat team"
data_url = "https://example.org/chats"

[finetune.training]
steps = 6
warmup_steps = 1
batch_size = 4
seq_len = 48
learning_rate = 5e-3
eval_every = 3
checkpoint_every = 3

[evaluate]
batch_size = 4

[audit]  # quick settings: every suite runs, on few items
suites = ["tasks", "bias", "memorisation", "redteam"]

[audit.tasks]
names = ["gg_buergerkunde", "gg_kurzantwort"]
limit = 6

[audit.memorisation]
samples = 10
prefix_tokens = 4
continuation_tokens = 4

[audit.redteam]
per_category = 2
max_tokens = 8

[release]
model_name = "tiny-test-model"
license = "Apache-2.0"
languages = ["de", "en"]
description = "A model made by the test suite."

[export]
gguf = "f32"
"""


def write_tiny_project(root: Path) -> Path:
    """A recipe with a JSONL source (incl. refused documents) and a folder source."""
    root.mkdir(parents=True, exist_ok=True)
    docs = open_documents(60)
    docs.append({"id": "nc", "text": "Nicht kommerziell.", "license": "CC-BY-NC-4.0"})
    docs.append({"id": "nolicence", "text": "Ohne Lizenz."})
    docs.append({"id": "copy", "text": docs[0]["text"], "license": "CC0-1.0"})
    write_jsonl(root / "docs.jsonl", docs)
    notes = root / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "a.md").write_text("# Notiz\n\nDie Bibliothek teilt offene Daten für alle.\n", "utf-8")
    (notes / "b.txt").write_text("The council publishes the budget again.\n", "utf-8")
    chats = [
        {
            "messages": [
                {"role": "user", "content": f"Frage {i}?"},
                {"role": "assistant", "content": f"Antwort {i}."},
            ]
        }
        for i in range(12)
    ]
    write_jsonl(root / "chat.jsonl", chats)
    recipe = root / "recipe.toml"
    recipe.write_text(TINY_RECIPE, encoding="utf-8")
    return recipe


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One whole build of the tiny recipe, shared by every test that only reads it."""
    from gemeingut.build import build

    root = tmp_path_factory.mktemp("tiny")
    recipe = write_tiny_project(root / "project")
    summary = build(recipe, root / "workspace")
    return {"recipe": recipe, "workspace": root / "workspace", **summary}
