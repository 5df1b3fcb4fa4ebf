"""Loads a gemeingut task's documents for lm-evaluation-harness from beside this file.

A copy of this file lies in every audit's `tasks/` folder, beside the task YAMLs and their
`.jsonl` documents; the YAMLs name it (`custom_dataset: !function gemeingut_documents.load`),
and lm-eval imports it from the YAML's own folder. `datasets` would resolve a relative
`data_files` against the working directory instead, so the tasks ran only from the folder they
were written for, and an absolute one names a folder of the machine that wrote them. Needs only
`datasets` (which lm-eval brings), not gemeingut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets

HERE = Path(__file__).resolve().parent


def load(data_files: dict[str, str], **_metadata: Any) -> datasets.DatasetDict:
    """The task's splits, each from its file in this folder (lm-eval also passes the task's
    metadata and model arguments, which the documents do not depend on)."""
    files = {split: str(HERE / name) for split, name in data_files.items()}
    return datasets.load_dataset("json", data_files=files)
