"""Publish a curated dataset as open data: data statement, Croissant, DCAT-AP.de and NOTICE.

`publish_dataset` reads a dataset directory (shards, stats.json, artifact.json) and the
recipe's `[data.publication]` prose, and writes four files beside the shards:

  DATA_STATEMENT.md  Bender & Friedman data statement (long form, schema v2)
  croissant.json     Croissant 1.0 + RAI, readable by mlcroissant
  dcat.ttl           DCAT-AP.de 3.0 for GovData
  NOTICE             every attribution the documents' licences require

Each file is written under a temporary name and renamed, so a reader never sees half of one.
With `with_data=True` and another `out_dir`, the data files (shards, exclusions, stats, manifest)
are hard-linked (or copied) there too, so `out_dir` is one complete directory to upload, and the
relative `contentUrl`s of croissant.json resolve in it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.data.publish.licenses import corpus_licence
from gemeingut.data.publish.metadata import NOT_PROVIDED, PublicationInfo, missing_fields
from gemeingut.hashing import sha256_file

__all__ = [
    "NOT_PROVIDED",
    "PUBLICATION_FILES",
    "PublicationInfo",
    "corpus_licence",
    "missing_fields",
    "publish_dataset",
]

DATA_STATEMENT_FILE = "DATA_STATEMENT.md"
CROISSANT_FILE = "croissant.json"
DCAT_FILE = "dcat.ttl"
NOTICE_FILE = "NOTICE"
PUBLICATION_FILES = (DATA_STATEMENT_FILE, CROISSANT_FILE, DCAT_FILE, NOTICE_FILE)
DATA_FILES = ("stats.json", "manifest.json", "exclusions.parquet")


def publish_dataset(
    dataset_dir: Path, info: PublicationInfo, out_dir: Path | None = None, with_data: bool = False
) -> dict[str, Any]:
    """Write the publication files into `out_dir` (default: the dataset directory).

    Returns {"dataset_id", "corpus_licence", "files": {name: "sha256:<hex>"}, "data_files",
    "missing_fields": [...], "attributions": <documents listed in NOTICE>}.
    """
    # Imported here, not above: the recipe imports PublicationInfo from this package, and the
    # CLI should not pay for pyarrow and rdflib on every start.
    from gemeingut.data.publish.croissant import build_croissant
    from gemeingut.data.publish.data_statement import render_data_statement
    from gemeingut.data.publish.dcat import render_dcat
    from gemeingut.data.publish.facts import read_facts
    from gemeingut.data.publish.notice import write_notice

    facts = read_facts(dataset_dir)
    out = out_dir or dataset_dir
    out.mkdir(parents=True, exist_ok=True)
    data_files = _link_data(dataset_dir, out) if with_data else []
    croissant = json.dumps(build_croissant(facts, info), indent=2, ensure_ascii=False) + "\n"
    _write_atomic(out / DATA_STATEMENT_FILE, _text(render_data_statement(facts, info)))
    _write_atomic(out / CROISSANT_FILE, _text(croissant))
    _write_atomic(out / DCAT_FILE, _text(render_dcat(facts, info)))
    attributions: list[int] = []
    _write_atomic(
        out / NOTICE_FILE,
        lambda path: attributions.append(
            write_notice(
                dataset_dir, path, info.title_in(info.document_language), info.document_language
            )
        ),
    )
    return {
        "dataset_id": facts.id,
        "corpus_licence": facts.licence,
        "files": {name: "sha256:" + sha256_file(out / name) for name in PUBLICATION_FILES},
        "data_files": data_files,
        "missing_fields": missing_fields(info, facts.sources),
        "attributions": attributions[0],
    }


def _link_data(dataset_dir: Path, out: Path) -> list[str]:
    """Hard links where possible (shards are never changed in place), copies otherwise."""
    from gemeingut.data.shards import SHARD_DIR

    if out.resolve() == dataset_dir.resolve():
        return []
    sources = sorted((dataset_dir / SHARD_DIR).glob("*.parquet"))
    sources += [dataset_dir / name for name in DATA_FILES if (dataset_dir / name).is_file()]
    linked = []
    for source in sources:
        rel = source.relative_to(dataset_dir)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        linked.append(rel.as_posix())
    return linked


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
