"""A gemeingut task for lm-evaluation-harness whose documents lie beside this file.

A copy of this file lies in every audit's `tasks/` folder, beside the task YAMLs and their
`.jsonl` documents; the YAMLs name its class (`class: !function gemeingut_documents.Documents`),
and lm-eval imports it from the YAML's own folder. `datasets` would resolve a relative
`data_files` against the working directory instead, so the tasks ran only from the folder they
were written for, and an absolute one names a folder of the machine that wrote them. A task
class, not lm-eval's `custom_dataset`: lm-eval warns on every task given one that custom kwargs
can be passed with `--metadata`, which our tasks take none of. Needs only lm-eval (and the
`datasets` it brings), not gemeingut.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
from lm_eval.api.task import ConfigurableTask

HERE = Path(__file__).resolve().parent


class Documents(ConfigurableTask):
    """lm-eval's task of the YAML, with each split's `data_files` read from this folder."""

    def __init__(self, config: dict[str, Any]) -> None:
        # `class` is how lm-eval found this class, no field of its task configuration
        super().__init__(config={k: v for k, v in config.items() if k != "class"})

    def download(self, dataset_kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        named = (dataset_kwargs or {}).get("data_files", {})
        files = {split: str(HERE / name) for split, name in named.items()}
        self.dataset = datasets.load_dataset("json", data_files=files)
