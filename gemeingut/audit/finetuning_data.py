"""A fine-tune's own data as the audit's training documents: what the fine-tune could memorise.

`gemeingut finetune` keeps a copy of its data in `data/` beside `finetune.json` (the file or
folder as given, a curated dataset's shards under `curated-dataset/`, separate validation data
under `validation/`), and a release bundle publishes that folder as `training-data/finetuning/`.
Both are read here the same way, so the audit of the fine-tune folder and `verify` of its bundle
draw the same documents. Read without torch (`model/finetune_data.py` tokenizes, and imports
it; `verify` must not): a record is a document by its text, a chat or a prompt/answer pair by
what was said, turns in order (the chat template is not applied).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.data.compressed import JSONL_SUFFIXES
from gemeingut.data.shards import CURATED_DIR, SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.loading import FINETUNE_FILE

DATA_DIR = "data"  # a fine-tune folder's copy of its data (model/finetune_state.DATA_DIR)
VALIDATION_DIR = "validation"  # separate validation data: held out, never trained on
TEXT_SUFFIXES = (".txt", ".md")  # as `model/finetune_data.py` reads a folder of texts
RECORD_FORMATS = _(
    "one JSON object per line with `text`, `messages`, `prompt` and `completion`, or "
    "`instruction` and `output`"
)


def unreadable_jsonl(file: Path, line: int, error: Exception) -> InputError:
    """A JSONL file that breaks off after `line` (a truncated or misnamed compressed file)."""
    return InputError(
        _(
            "{path} cannot be read after line {line}: {error}",
            path=file,
            line=str(line),
            error=str(error),
        ),
        _("check that the file is complete and compressed as its name says"),
    )


def fine_tune_data(folder: Path) -> Path | None:
    """The data folder of a fine-tune (`finetune.json` beside it), if `folder` is one."""
    data = folder / DATA_DIR
    return data if (folder / FINETUNE_FILE).is_file() and data.is_dir() else None


def finetuning_files(data: Path) -> tuple[Path, ...]:
    """The files a fine-tune trained on, in the order it read them: a curated dataset's train
    shards, else the JSONL or text file given, else the text files of the folder given."""
    shards = data / CURATED_DIR / SHARD_DIR
    if shards.is_dir():
        return tuple(sorted(shards.glob("train-*.parquet")))
    found: list[Path] = []
    for entry in sorted(data.iterdir()):
        if entry.name == VALIDATION_DIR or entry.is_symlink():
            continue
        if entry.is_dir():
            found += sorted(p for p in entry.rglob("*") if is_text_file(p))
        elif is_jsonl_file(entry) or is_text_file(entry):
            found.append(entry)
    return tuple(found)


def is_text_file(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES and path.is_file() and not path.is_symlink()


def is_jsonl_file(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def record_text(record: Any, where: str) -> str:
    """The text of one JSONL record: a chat's turns one after another (a blank line between),
    a prompt followed by its completion as an untemplated fine-tune reads it, or its `text`;
    in the order `model/finetune_data.parse_record` recognises them, so a record with several
    is checked by what the fine-tune trained on."""
    if isinstance(record, dict):
        messages = record.get("messages")
        if isinstance(messages, list) and messages:
            turns = [m.get("content") if isinstance(m, dict) else None for m in messages]
            said = [turn for turn in turns if isinstance(turn, str)]
            if len(said) == len(turns):
                return "\n\n".join(said)
        if isinstance(record.get("prompt"), str) and isinstance(record.get("completion"), str):
            return record["prompt"] + record["completion"]
        instruction, output = record.get("instruction"), record.get("output")
        if isinstance(instruction, str) and isinstance(output, str):
            extra = record.get("input") or ""
            prompt = (
                f"{instruction}\n\n{extra}" if isinstance(extra, str) and extra else instruction
            )
            return prompt + output
        if isinstance(record.get("text"), str):
            return record["text"]
    raise InputError(_("{where}: no training text in this line", where=where), RECORD_FORMATS)
