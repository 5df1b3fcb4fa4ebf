"""A model folder's paper and data by the rules a bundle's are judged by: a model builder found
that `openness rate FOLDER` counted any non-empty file in `paper/` as a research paper („Hallo.",
one heading and one sentence) while a bundle's paper needs 300 words under 3 headings
(`paper.py`), and that a dataset's shards below `data/<dataset>/shards/` were said to be
„nicht im Ordner"."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.release.openness.foreign import rate_folder


def _folder(root: Path) -> Path:
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(root)
    (root / "README.md").write_text("---\nlicense: apache-2.0\n---\n# tiny\n\nA tiny model.\n")
    return root


def _row(folder: Path, name: str) -> dict:
    return {c["name"]: c for c in rate_folder(folder)["mof"]["components"]}[name]


def _paper(folder: Path, text: str) -> None:
    (folder / "paper").mkdir()
    (folder / "paper" / "paper.md").write_text(text, encoding="utf-8")


def test_a_short_paper_in_a_folder_is_no_paper(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m")
    _paper(folder, "# Titel\n\nHallo.\n")
    row = _row(folder, "Research paper")
    assert not row["present"]
    assert "paper/paper.md: only 2 words under 1 heading" in row["detail"]
    assert "a research paper counts from 300 words under 3 headings" in row["detail"]


def test_a_sentence_repeated_in_a_folder_is_no_paper(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m")
    _paper(folder, "# A\n\n## B\n\n## C\n\n" + "The model reads laws. " * 200)
    row = _row(folder, "Research paper")
    assert not row["present"] and "but only 7 different words" in row["detail"]


def test_a_real_paper_in_a_folder_counts_and_says_its_words(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m")
    words = " ".join(f"word{n}" for n in range(400))
    _paper(folder, f"# Title\n\n## Method\n\n{words}\n\n## Results\n\nIt works.\n")
    row = _row(folder, "Research paper")
    assert row["present"] and row["license_open"]
    assert "paper/paper.md: 405 words under 3 headings" in row["detail"]


def _shard(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"text": [f"Gesetz {n}" for n in range(rows)]}), path)


def test_a_datasets_shards_in_its_own_folder_are_the_folders_data(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m")
    _shard(folder / "data" / "curated-dataset" / "shards" / "train-00000.parquet", 3)
    row = _row(folder, "Datasets")
    assert row["present"], row["detail"]
    assert "data/curated-dataset/shards/train-00000.parquet: holds records" in row["detail"]


def test_an_empty_shard_below_data_is_said_to_hold_no_record(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m")
    _shard(folder / "training-data" / "finetuning" / "ds" / "shards" / "train-00000.parquet", 0)
    row = _row(folder, "Datasets")
    assert not row["present"]
    assert "training-data/finetuning/ds/shards/train-00000.parquet: no record" in row["detail"]
