"""`fmti.json`: the Foundation Model Transparency Index indicators a release's files can show.

The FMTI (Bommasani et al., 2023) scores 100 indicators by hand from a developer's public
statements. Here only indicators that a file of the bundle can satisfy are listed; each is
met or not by a check of that file, with the file as evidence (never a file derived after the
rating, so release and verify see the same). Every path named as evidence is in the bundle; an
indicator whose evidence is absent names what is `missing` instead. What in a file shows an
indicator is said in English and beside it in each other language (`evidence_de`: `notes.py`).
Indicators about the developer's organisation, labour, distribution or downstream use (terms of
service, usage reports, redress …) cannot be shown by a release and are left out, not marked as
met.

A fine-tune of a foreign base has its own table: its run is recorded in `finetune.json` (the
compute, duration, hardware and energy of the fine-tuning: what the Model Documentation Form
states; the energy row also says what the base states of its own, `finetune_energy.py`),
and the indicators about the training data, its processing and the capability reports are met
only where the rating finds them for the base as well as the fine-tune (what the base
withholds, `base-model/files.json` shows). Its filtering and personal-data rows are the
fine-tuning data's own: a curated dataset's record (`curated-dataset/dataset.json`) shows its
filters as the recipe release's lineage does; data given as files was used as given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from gemeingut.data.shards import DATASET_RECORD
from gemeingut.i18n import Message, _, text
from gemeingut.release.layout import (
    AUDIT,
    CARD,
    FINETUNE_RECORD,
    MODEL,
    OPENNESS,
    RELEASE_INFO,
    TRAINING_CODE,
    TRAINING_METADATA,
    earlier_finetunes,
)
from gemeingut.release.openness.causal_lm import names_causal_lm
from gemeingut.release.openness.chain_runs import earlier_record
from gemeingut.release.openness.curated_data import curated_datasets, uncurated_files
from gemeingut.release.openness.evidence import (
    DATA_STATEMENT,
    LOCKFILE,
    NO_LICENCE,
    TECHNICAL_REPORT,
    Evidence,
)
from gemeingut.release.openness.finetune_energy import base_said, base_statement, tuning_energy
from gemeingut.release.openness.finetune_rating import BASE_DIR
from gemeingut.release.openness.model_size import model_size
from gemeingut.release.openness.notes import ENGLISH, in_languages
from gemeingut.release.openness.osai_index import absent_evidence, bundle_paths

FMTI_FILE = "fmti.json"
_META = TRAINING_METADATA
_DATA = "training-data"
_LINEAGE = f"{_META}/lineage.json"
_AUDIT_REPORT = f"{AUDIT}/report.json"
Row = tuple[str, str, Message | str, Callable[[], bool]]  # domain, indicator, evidence, test


def fmti_indicators(evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    facts = _Facts(evidence, rating)
    table = _finetune_rows(facts) if evidence.has(BASE_DIR) else _pretraining_rows(facts)
    rows = [facts.row(*entry) for entry in [*table, *_audit_rows(facts), _licence_row(rating)]]
    if evidence.has(BASE_DIR):  # the fine-tuning's energy is met or not; the base's is said
        energy = next(row for row in rows if row["indicator"] == "Energy usage")
        energy["base_model"] = base_said(base_statement(evidence.root / BASE_DIR))
    title = _(
        "Foundation Model Transparency Index (Bommasani et al., 2023), indicators a release can "
        "evidence"
    )
    return {
        **in_languages("index", title),
        "met": sum(r["met"] for r in rows),
        "listed": len(rows),
        "indicators": rows,
    }


def cited_paths(where: str) -> list[str]:
    """The bundle paths an evidence text names (`path (what in it), path …`)."""
    items = re.split(r", (?![^()]*\))", where) if where else []
    return [item.split(" (", 1)[0].rstrip("/") for item in items]


class _Facts:
    """What the indicators read: the files (read when asked) and the rating's components."""

    def __init__(self, evidence: Evidence, rating: dict[str, Any]) -> None:
        self.evidence = evidence
        self.rating = rating
        self.parts = {c["name"]: c for c in rating["mof"]["components"]}

    def has(self, rel: str) -> bool:
        return self.evidence.has(rel)

    def record(self, rel: str) -> dict[str, Any]:
        path = self.evidence.root / rel
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def passed(self, check_id: str) -> bool:
        return any(c["id"] == check_id and c["passed"] for c in self.rating["checks"])

    def present(self, name: str) -> Callable[[], bool]:
        return lambda: self.parts[name]["present"]

    def component(self, name: str) -> str:
        """Where the rating found a component; where it did not, the files that show why."""
        part = self.parts[name]
        if part["present"]:
            return ", ".join(bundle_paths(self.evidence, part["evidence"]))
        return absent_evidence(self.evidence, name)

    def config(self) -> str:
        """The model's config.json (an adapter's: its base's copy)."""
        own = f"{MODEL}/config.json"
        return own if self.has(own) or not self.has(BASE_DIR) else f"{BASE_DIR}/config.json"

    def causal_lm(self) -> bool:
        return names_causal_lm(self.record(self.config()))

    def row(
        self, domain: str, name: str, where: Message | str, test: Callable[[], bool]
    ) -> dict[str, Any]:
        """The indicator met or not; its evidence (paths, and what in them, in every language)
        named as `missing` where the bundle lacks a path of it."""
        row: dict[str, Any] = {"domain": domain, "indicator": name, "met": bool(test())}
        if all(self.has(path) for path in cited_paths(text(where, ENGLISH))):
            return row | in_languages("evidence", where)
        return row | in_languages("evidence", "") | in_languages("missing", where)


def _pretraining_rows(facts: _Facts) -> list[Row]:
    has, parts = facts.has, facts.present
    tuned = has(FINETUNE_RECORD)  # fine-tuned after pretraining: its run counts too
    # and in a chain, each earlier fine-tune's run (`chain_runs.py`), oldest first
    earlier = [earlier_record(m["id"]) for m in earlier_finetunes(facts.record(_LINEAGE))]
    run = "".join(f", {rel} (stats)" for rel in (*earlier, FINETUNE_RECORD)) if tuned else ""

    def data_stats() -> dict[str, Any]:
        return (facts.record(_LINEAGE).get("dataset") or {}).get("stats") or {}

    def training() -> dict[str, Any]:
        return facts.record(f"{_META}/training.json")

    return [
        ("upstream", "Data size", _("{file} (dataset splits)", file=_LINEAGE),
         lambda: bool(data_stats().get("splits"))),
        ("upstream", "Data sources", f"{_DATA}/",
         lambda: bool(facts.evidence.training_data.files)),
        ("upstream", "Data creators", _("{file} (attribution column)", file=f"{_DATA}/"),
         parts("Datasets")),
        ("upstream", "Data source selection", f"{_DATA}/{DATA_STATEMENT}",
         lambda: has(f"{_DATA}/{DATA_STATEMENT}")),
        ("upstream", "Data curation", f"{TRAINING_CODE}/gemeingut/data/",
         parts("Data preprocessing code")),
        ("upstream", "Harmful data filtration", _("{file} (dataset blocks)", file=_LINEAGE),
         lambda: _filtered(_blocks(facts.record(_LINEAGE).get("dataset")))),
        ("upstream", "Copyrighted data", _("{file} (license column)", file=f"{_DATA}/"),
         lambda: _all_documents_licensed(facts.evidence)),
        ("upstream", "Data license", f"{OPENNESS} (licence.training-data)",
         lambda: facts.passed("licence.training-data")),
        ("upstream", "Personal information in data", f"{_LINEAGE} (pii_scrubber)",
         lambda: _scrubbed(_blocks(facts.record(_LINEAGE).get("dataset")))),
        ("upstream", "Compute usage", f"{_META}/training.json (flops){run}",
         lambda: "flops_6nd" in training().get("flops", {})),
        ("upstream", "Development duration", f"{_META}/training.json (wall_seconds){run}",
         lambda: "total" in training().get("wall_seconds", {})),
        ("upstream", "Compute hardware",
         f"{_META}/training.json (hardware)" + (f", {FINETUNE_RECORD} (hardware)" if tuned else ""),
         lambda: bool(training().get("hardware"))),
        ("upstream", "Energy usage",
         _("{file} (energy with its method)", file=f"{_META}/training.json"),
         lambda: bool(training().get("energy", {}).get("method"))),
        ("upstream", "Model stages", _LINEAGE,
         lambda: {"dataset", "model"} <= set(facts.record(_LINEAGE))),
        *_framework_rows(facts),
        *_model_rows(facts, f"{MODEL}/config.json"),
        ("model", "Capabilities description", TECHNICAL_REPORT, parts("Technical report")),
        ("model", "Evaluation of capabilities", f"{_META}/evaluation.json",
         parts("Evaluation results")),
    ]  # fmt: skip


def _finetune_rows(facts: _Facts) -> list[Row]:
    """A fine-tune of a foreign base: its own run from finetune.json, the data and reports
    as the rating finds them for base and fine-tune together."""
    parts, component = facts.present, facts.component

    def record() -> dict[str, Any]:
        return facts.record(FINETUNE_RECORD)

    def stats() -> dict[str, Any]:
        return record().get("stats") or {}

    def data_given() -> bool:
        return bool((record().get("data") or {}).get("train")) and parts("Datasets")()

    datasets = component("Datasets")
    filtration, personal = _finetune_filter_rows(facts)
    return [
        ("upstream", "Data size", f"{FINETUNE_RECORD} (data), {datasets}", data_given),
        ("upstream", "Data sources", datasets, parts("Datasets")),
        ("upstream", "Data creators", datasets, parts("Datasets")),
        ("upstream", "Data source selection", component("Data card"), parts("Data card")),
        ("upstream", "Data curation", component("Data preprocessing code"),
         parts("Data preprocessing code")),
        ("upstream", "Harmful data filtration", *filtration),
        ("upstream", "Copyrighted data", datasets,
         lambda: parts("Datasets")() and facts.parts["Datasets"]["license_open"]),
        ("upstream", "Data license", f"{OPENNESS} (licence.training-data)",
         lambda: facts.passed("licence.training-data")),
        ("upstream", "Personal information in data", *personal),
        ("upstream", "Compute usage",
         _("{file} (stats: parameters and tokens_seen of the fine-tuning)",
           file=FINETUNE_RECORD),
         lambda: bool(stats().get("parameters") and stats().get("tokens_seen"))),
        ("upstream", "Development duration",
         _("{file} (stats: wall_seconds_total of the fine-tuning)", file=FINETUNE_RECORD),
         lambda: "wall_seconds_total" in stats()),
        ("upstream", "Compute hardware",
         _("{file} (hardware of the fine-tuning)", file=FINETUNE_RECORD),
         lambda: bool(record().get("hardware"))),
        ("upstream", "Energy usage",
         _("{file} (energy of the fine-tuning with its method)", file=FINETUNE_RECORD),
         lambda: bool((tuning_energy(record()) or {}).get("method"))),
        ("upstream", "Model stages", f"{FINETUNE_RECORD} (base_model), {_LINEAGE} (finetune)",
         lambda: bool(record().get("base_model")) and "finetune" in facts.record(_LINEAGE)),
        *_framework_rows(facts),
        *_model_rows(facts, component("Model architecture")),
        ("model", "Capabilities description", component("Technical report"),
         parts("Technical report")),
        ("model", "Evaluation of capabilities", component("Evaluation results"),
         parts("Evaluation results")),
    ]  # fmt: skip


def _finetune_filter_rows(
    facts: _Facts,
) -> tuple[tuple[Message | str, Callable[[], bool]], tuple[Message | str, Callable[[], bool]]]:
    """Evidence and test of the filtration and personal-data rows of a fine-tune: its curated
    datasets' records, as the recipe release's rows read its dataset's blocks; where some of
    the fine-tuning data was given as files (no record), it was used as given."""
    curated = curated_datasets(facts.evidence)
    if not curated or uncurated_files(facts.evidence, curated):
        as_given = _("{file} (data: used as given without filters)", file=FINETUNE_RECORD)
        return (as_given, lambda: False), (as_given, lambda: False)
    records = ", ".join(f"{folder}/{DATASET_RECORD}" for folder, _record in curated)
    blocks = [_blocks(record) for _folder, record in curated]
    return (
        (
            _("{file} (dataset blocks)", file=records),
            lambda: all(_filtered(each) for each in blocks),
        ),
        (f"{records} (pii_scrubber)", lambda: all(_scrubbed(each) for each in blocks)),
    )


def _blocks(record: Any) -> dict[str, Any]:
    """The filter blocks a dataset's record counts (`stats.blocks`), each a dict: a curated
    fine-tuning dataset's, and the pretraining dataset's as lineage.json keeps it."""
    stats = record.get("stats") if isinstance(record, dict) else None
    blocks = stats.get("blocks") if isinstance(stats, dict) else None
    if not isinstance(blocks, dict):
        return {}
    return {name: block for name, block in blocks.items() if isinstance(block, dict)}


def _filtered(blocks: dict[str, Any]) -> bool:
    """Whether a dataset's curation ran filters that exclude documents (harmful ones too)."""
    return any("excluded" in block for block in blocks.values())


def _scrubbed(blocks: dict[str, Any]) -> bool:
    """Whether a dataset's curation replaced personal data by placeholders."""
    return "pii_scrubber" in blocks


def _framework_rows(facts: _Facts) -> list[Row]:
    lockfile = f"{TRAINING_CODE}/{LOCKFILE}"
    return [
        ("upstream", "Core frameworks", lockfile, lambda: facts.has(lockfile)),
        ("upstream", "Additional dependencies", lockfile, lambda: facts.has(lockfile)),
    ]


def _model_rows(facts: _Facts, architecture: str) -> list[Row]:
    config = _("{file} (a causal LM: text)", file=facts.config())
    weights = facts.component("Model parameters (Final)")
    return [
        ("model", "Input modality", config, facts.causal_lm),
        ("model", "Output modality", config, facts.causal_lm),
        ("model", "Model components", weights, facts.present("Model parameters (Final)")),
        ("model", "Model size", _("{file} (parameter count)", file=CARD),
         lambda: model_size(facts.evidence.root).total is not None),
        ("model", "Model architecture", architecture, facts.present("Model architecture")),
        ("model", "Centralized model documentation", CARD, facts.present("Model card")),
        ("model", "Full external model access", weights,
         lambda: facts.passed("licence.weights") and facts.parts[
             "Model parameters (Final)"]["license_open"]),
    ]  # fmt: skip


def _audit_rows(facts: _Facts) -> list[Row]:
    has = facts.has

    def suite(name: str) -> bool:
        return name in facts.record(_AUDIT_REPORT)

    return [
        ("model", "External reproducibility of capabilities evaluation",
         _("{file} (lm-eval command)", file=f"{AUDIT}/tasks/"), lambda: has(f"{AUDIT}/tasks")),
        ("model", "Limitations description", _AUDIT_REPORT, lambda: has(_AUDIT_REPORT)),
        ("model", "Risks description", _AUDIT_REPORT, lambda: has(_AUDIT_REPORT)),
        ("model", "Unintentional harm evaluation", f"{_AUDIT_REPORT} (bias)",
         lambda: suite("bias")),
        ("model", "Intentional harm evaluation", f"{_AUDIT_REPORT} (redteam)",
         lambda: suite("redteam")),
        ("model", "External reproducibility of unintentional harm evaluation",
         f"{AUDIT}/logs/", lambda: suite("bias") and has(f"{AUDIT}/logs")),
    ]  # fmt: skip


def _licence_row(rating: dict[str, Any]) -> Row:
    return (
        "downstream",
        "Model License",
        RELEASE_INFO,
        lambda: bool(rating["licenses"]["weights"]),
    )


def _all_documents_licensed(evidence: Evidence) -> bool:
    data = evidence.training_data
    return bool(data.files) and not data.documents.get(NO_LICENCE)
