"""`gemeingut build` refuses a release licence that does not carry the share-alike licences of
the kept data right after curating, with the release stage's words, not after pretraining."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.stages import refuse_unkept_share_alike
from gemeingut.workspace import load_artifact
from tests.conftest import write_tiny_project
from tests.test_cli import invoke


def test_a_release_licence_that_drops_the_share_alike_is_refused_after_curating(
    tmp_path: Path,
) -> None:
    recipe = write_tiny_project(tmp_path / "project")  # its release: Apache-2.0
    docs = recipe.parent / "docs.jsonl"
    records = [json.loads(line) for line in docs.read_text(encoding="utf-8").splitlines()]
    for record in records[:5]:
        record.update(license="CC-BY-SA-4.0", attribution="Wiki", url="https://example.org/w")
    docs.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    workspace = tmp_path / "ws"
    result = invoke("build", recipe, "--workspace", workspace)
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert (
        "release.license: Apache-2.0 übernimmt die Share-alike-Lizenzen der Daten nicht: "
        "CC-BY-SA-4.0 (docs)" in said
    ), said
    assert "Traceback" not in result.output
    assert not (workspace / "tokenizer").exists() and not (workspace / "model").exists()
    (dataset,) = (workspace / "dataset").iterdir()  # curated, and kept for the next build
    refuse_unkept_share_alike(load_artifact(dataset, "dataset"), "CC-BY-SA-4.0", None)
