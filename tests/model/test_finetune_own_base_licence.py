"""Fine-tuning our own model for a release licence that does not carry the share-alike
licences of the data it was pretrained on is refused before training, with the words the
release would use afterwards; a licence that carries them is not refused for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.recipe import FinetuneSection
from gemeingut.stages import (
    _licence_sources,
    _own_base_data,
    _refuse_share_alike_conflicts,
    finetune_stage,
)
from gemeingut.workspace import at, load_artifact


def _own_model_on_share_alike_data(tiny_build: dict, root: Path) -> Path:
    """A copy of the tiny build's model and dataset in a workspace of their own, its shards'
    documents relicensed CC-BY-SA-4.0."""
    copies = {}
    for kind in ("model", "dataset"):
        source = Path(tiny_build[kind]["path"])
        copies[kind] = root / kind / source.name
        shutil.copytree(source, copies[kind])
    for shard in (copies["dataset"] / SHARD_DIR).glob("*.parquet"):
        table = pq.read_table(shard)
        column = table.schema.get_field_index("license")
        table = table.set_column(
            column, "license", pa.array(["CC-BY-SA-4.0"] * table.num_rows, pa.string())
        )
        pq.write_table(table, shard)
    return copies["model"]


def test_a_licence_that_drops_the_share_alike_is_refused_before_training(
    tiny_build: dict, tmp_path: Path
) -> None:
    base = _own_model_on_share_alike_data(tiny_build, tmp_path / "ws")
    data = Path(tiny_build["recipe"]).parent / "chat.jsonl"
    out = tmp_path / "tuned"
    with pytest.raises(InputError) as refused:
        finetune_stage(at(out), base, data, FinetuneSection(), release_license="Apache-2.0")
    said = str(refused.value.message)
    assert "Apache-2.0 übernimmt die Share-alike-Lizenzen der Daten nicht: CC-BY-SA-4.0" in said
    assert not out.exists()  # nothing trained, nothing written
    pretrained_on = _own_base_data(base)
    assert pretrained_on is not None
    _refuse_share_alike_conflicts("CC-BY-SA-4.0", _licence_sources(pretrained_on, None))


def test_a_refusals_sources_are_named_in_the_persons_language(
    tiny_build: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They stood in English inside the German refusal („… (fine-tuning data)“)."""
    dataset = load_artifact(Path(tiny_build["dataset"]["path"]), "dataset")
    assert "Feinabstimmungsdaten" in _licence_sources(dataset, "CC-BY-SA-4.0")["CC-BY-SA-4.0"]
    monkeypatch.setenv("GEMEINGUT_LANG", "en")
    assert "fine-tuning data" in _licence_sources(dataset, "CC-BY-SA-4.0")["CC-BY-SA-4.0"]
