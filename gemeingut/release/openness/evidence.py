"""What a release bundle holds, read from its files alone: the evidence every rating uses.

Nothing here trusts a sentence: licences of the data come from the shards' `license` column,
the code's licence from the code's own `pyproject.toml` and its text `LICENSE`, the parameter
count from the safetensors headers, the declared licences of weights and documents from
`release.json`.
"""

from __future__ import annotations

import json
import struct
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gemeingut.audit.finetuning_data import is_jsonl_file
from gemeingut.data.shards import CURATED_DIR, DATASET_RECORD
from gemeingut.errors import VerifyError
from gemeingut.i18n import _
from gemeingut.json_records import record_lines, why_unreadable
from gemeingut.model.finetune_line_licences import line_licences
from gemeingut.parquet_records import parquet_table
from gemeingut.release.layout import (
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    MODEL,
    RELEASE_INFO,
    TEST_DATA,
    TRAINING_CODE,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_finetunes,
)

DATA_STATEMENT = "DATA_STATEMENT.md"
TECHNICAL_REPORT = "TECHNICAL_REPORT.md"
PAPER_DIR = "paper"
LOCKFILE = "requirements.lock"
CHECKPOINTS = "checkpoints"
CODE_LICENCE_FILE = f"{TRAINING_CODE}/LICENSE"

# Records beside a fine-tune's copy of a curated dataset: not fine-tuning data themselves.
CURATED_RECORDS = frozenset({"stats.json", DATASET_RECORD})
NO_LICENCE = "NOASSERTION"  # SPDX's word for a document that names no licence


@dataclass
class DataLicences:
    """Documents per licence, and which sources carry each licence."""

    documents: Counter[str] = field(default_factory=Counter)
    sources: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files: list[str] = field(default_factory=list)
    per_file: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: int = 0  # of `documents`: the records of fine-tuning files (not curated shards)

    def add(self, licence: str, source: str, count: int = 1, file: str = "") -> None:
        self.documents[licence] += count
        self.sources[licence].add(source)
        if file:
            self.per_file[file][licence] += count


@dataclass
class Evidence:
    root: Path
    release: dict[str, Any]  # release.json: name, licences of weights and documents …
    code_licence: str | None
    training_data: DataLicences
    test_data: DataLicences
    parameters: int | None
    present: set[str]  # relative paths (files and folders) that exist
    code_licence_text: str | None = None  # training-code/LICENSE, when there is one

    def has(self, rel: str) -> bool:
        return rel in self.present


def collect(bundle: Path, expected: frozenset[str] = frozenset()) -> Evidence:
    """Read the evidence of `bundle`; `expected` names files about to be written (the card is
    rendered from the rating, so the rating counts it as present)."""
    present = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")} | set(expected)
    return Evidence(
        root=bundle,
        release=_json(bundle / RELEASE_INFO) if (bundle / RELEASE_INFO).is_file() else {},
        code_licence=_project_licence(bundle / TRAINING_CODE / "pyproject.toml"),
        training_data=data_licences(bundle, TRAINING_DATA, _stated_licences(bundle)),
        test_data=data_licences(bundle, TEST_DATA, {}),
        parameters=parameter_count(bundle / MODEL),
        present=present,
        code_licence_text=_licence_text(bundle / CODE_LICENCE_FILE),
    )


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerifyError(
            _("{path} cannot be read: {error}", path=str(path), error=why_unreadable(exc)),
            _("obtain an unmodified copy"),
        ) from None


def _project_licence(pyproject: Path) -> str | None:
    """The SPDX licence the code declares (PEP 639 `project.license`)."""
    if not pyproject.is_file():
        return None
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    licence = project.get("license")
    if isinstance(licence, dict):  # the older table form {text = "..."}
        licence = licence.get("text")
    return licence if isinstance(licence, str) else None


def _licence_text(path: Path) -> str | None:
    """The code's licence text (its opening is what names the licence)."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(20_000)


def _stated_licences(bundle: Path) -> dict[str, tuple[str, str]]:
    """The licence stated for fine-tuning data given as a file (not curated shards), by its
    folder in training-data/ with the source it is counted as: the released fine-tune's in
    `finetuning/`, each earlier fine-tune's in `finetuning-earlier/<id>/`."""
    lineage = bundle / TRAINING_METADATA / "lineage.json"
    if not lineage.is_file():
        return {}
    read = _json(lineage)
    stated: dict[str, tuple[str, str]] = {}
    for meta in earlier_finetunes(read):
        if licence := (meta.get("params") or {}).get("data_license"):
            folder = f"{FINETUNE_EARLIER}/{meta['id']}"
            stated[folder] = (licence, f"fine-tuning data of {meta['id']}")
    licence = ((read.get("finetune") or {}).get("params") or {}).get("data_license")
    if licence:
        stated[FINETUNE_DATA] = (licence, "fine-tuning data")
    return stated


def data_licences(bundle: Path, folder: str, stated: dict[str, tuple[str, str]]) -> DataLicences:
    """Licences of every document in the folder's Parquet shards (exclusion records aside);
    fine-tuning files without shards count under the licence stated for their folder."""
    found = DataLicences()
    root = bundle / folder
    if not root.is_dir():
        return found
    for shard in sorted(root.rglob("*.parquet")):
        if shard.name.startswith("exclusions"):
            continue
        rel = shard.relative_to(bundle).as_posix()
        found.files.append(rel)
        table = parquet_table(shard, rel, ["license", "source"])  # damaged: named, in words
        pairs = Counter(zip(table["license"].to_pylist(), table["source"].to_pylist(), strict=True))
        for (licence, source), count in pairs.items():
            found.add(licence or NO_LICENCE, source or "unknown", count, rel)
    for where, (licence, source) in stated.items():
        finetuning = root / where
        for item in sorted(finetuning.rglob("*")) if finetuning.is_dir() else []:
            curated = item.parent.name == CURATED_DIR and item.name in CURATED_RECORDS
            # a curated dataset's statement beside it (`release --publication`): no data
            curated |= (
                item == root / FINETUNE_DATA / DATA_STATEMENT
                and (root / FINETUNE_DATA / CURATED_DIR).is_dir()
            )
            if item.is_file() and item.suffix != ".parquet" and not curated:
                rel = item.relative_to(bundle).as_posix()
                found.files.append(rel)
                for own, records in _per_line(item, licence).items():
                    found.add(own, source, records, rel)
                    found.examples += records
    return found


def _per_line(path: Path, stated: str) -> Counter[str]:
    """A file's examples by licence: a JSONL line's own (`license`, as `data curate` reads it;
    an empty one counts as none) where it states one, else the licence stated for the file."""
    if not is_jsonl_file(path):
        return Counter({stated: 1})
    counts = Counter(
        stated if own is None else own or NO_LICENCE for _line, own in line_licences(path)
    )
    return counts or Counter({stated: 1})  # unreadable as records: the file stands for itself


def parameter_count(model_dir: Path) -> int | None:
    """Sum of tensor sizes in the safetensors headers (no tensor is loaded, no torch needed);
    tied embeddings are stored once, so this equals transformers' `num_parameters()`."""
    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        return None
    total = 0
    for path in files:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        for name, entry in header.items():
            if name != "__metadata__":
                count = 1
                for dim in entry["shape"]:
                    count *= dim
                total += count
    return total


def validation_curve(log: Path) -> list[tuple[int, float]]:
    """(step, validation loss) of a training or fine-tuning log (JSON lines); steps without a
    validation loss, and a null one of a run without validation data, are skipped. The card,
    the report, the ML-BOM and SPDX all read the losses here, so they cannot disagree."""
    if not log.is_file():
        return []
    curve = []
    for line in record_lines(log.read_text(encoding="utf-8")):
        record = json.loads(line) if line.strip() else {}
        if record.get("val_loss") is not None:
            curve.append((int(record["step"]), float(record["val_loss"])))
    return curve
