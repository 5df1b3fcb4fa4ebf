"""A fine-tune's bundle whose curated dataset's record cannot be read back: `verify` names the
data statement that is rendered from it (`training-data/finetuning/DATA_STATEMENT.md`), not
the pretraining data's, which the bundle does not even hold."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.i18n import text
from gemeingut.release.finetune_publication import CURATED_RECORD, CURATED_STATS
from gemeingut.release.verify_statement_rendered import FINETUNING, LINEAGE, rendered_problems


def test_an_unreadable_record_is_named_with_the_statement_rendered_from_it(
    tmp_path: Path,
) -> None:
    bundle = tmp_path / "bundle"
    for rel, content in (
        (LINEAGE, json.dumps({"publication": {"params": {}, "inputs": {"dataset": "ds-1"}}})),
        (CURATED_STATS, "{}"),
        (CURATED_RECORD, "{kaputt"),
        (FINETUNING.path, "# Data Statement\n"),
    ):
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        (bundle / rel).write_text(content, encoding="utf-8")
    listed = {rel: "" for rel in (LINEAGE, CURATED_STATS, CURATED_RECORD, FINETUNING.path)}
    [problem] = rendered_problems(bundle, listed, set())
    said = text(problem, "en")
    assert said.startswith(f"{FINETUNING.path} cannot be read back: "), said
