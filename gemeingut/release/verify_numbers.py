"""The numbers the training records state, computed again from the files they describe.

The card, technical report, AI Act summary and SPDX document are rendered from
`training.json`, `finetune.json` and `evaluation.json`, so `verify` re-renders them to equal
whatever those records say: a number edited in the records and every document alike passes
that. Here the records meet their sources: tokens seen against the data order (steps and
windows replayed), test tokens against the test shards tokenised with the bundle's own
tokenizer, perplexity and bits per byte against the loss, the lineage's copies against the
records. No torch: the tokenizer is read with `tokenizers`, as the export's probe reads it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.model.energy import JOULES_PER_KWH, estimated_watts, recorded_kwh
from gemeingut.parquet_records import parquet_batches
from gemeingut.release.bundle_tokenizer import TOKENIZER, bundle_tokenizer, packed_tokens
from gemeingut.release.finetune_chain import lineage_base_problems
from gemeingut.release.layout import (
    EARLIER_ROLE,
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    TEST_DATA,
    TEST_SHARDS,
    TRAINING_METADATA,
    earlier_finetunes,
    listed_shards,
)
from gemeingut.release.verify_guard import guarded

TRAINING = f"{TRAINING_METADATA}/training.json"
EVALUATION = f"{TRAINING_METADATA}/evaluation.json"
LINEAGE = f"{TRAINING_METADATA}/lineage.json"
TRAINING_LOG = f"{TRAINING_METADATA}/training_log.jsonl"
FINETUNE_LOG = f"{TRAINING_METADATA}/finetune_log.jsonl"
_REL_TOL = 1e-9  # the records hold Python floats, written with repr: equal up to rounding
_ROUNDED_SECONDS = 0.0005  # an energy record's seconds_this_run is rounded to the millisecond


def training_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Tokens seen (and the compute drawn from them) against the data order the run recorded
    (a run resumed with another global batch included: the steps since its resumption took
    the batch the record states); the lineage's and the log's copies of the count."""
    path = bundle / TRAINING
    if not path.is_file():
        return []
    record = _object(path)
    cfg, batch, stats = record["training"], record["batch"], record["stats"]
    seq_len = int(cfg["seq_len"])
    resumed = int(stats.get("resumed_from_step") or 0)
    problems = []
    per_step = batch["global_batch"] * seq_len
    if batch["tokens_per_step"] != per_step:
        problems.append(
            mismatch(
                TRAINING,
                "batch.tokens_per_step",
                batch["tokens_per_step"],
                per_step,
                _("global_batch × seq_len"),
            )
        )
    seen = stats["tokens_seen"]
    # without a data order, steps × tokens per step holds for a run never resumed only
    tokens: int | None = None if resumed else cfg["steps"] * per_step
    how: str | Message = _("training.steps × global_batch × seq_len")
    steps_file = (record.get("data_order") or {}).get("steps_file")
    order = _listed(listed, TRAINING_METADATA, steps_file, TRAINING, "data_order.steps_file")
    if isinstance(order, Message):
        return [order]
    if order is not None:  # the windows each step took: what the run saw, replayed
        steps, windows, sizes = _replayed(bundle / order, resumed)
        how = _(
            "{steps} steps in {file} with {windows} windows of {seq_len} tokens",
            steps=str(steps),
            file=order,
            windows=str(windows),
            seq_len=str(seq_len),
        )
        if cfg["steps"] != steps:
            problems.append(mismatch(TRAINING, "training.steps", cfg["steps"], steps, how))
        if sizes - {batch["global_batch"]}:  # the steps this run took (since it resumed)
            problems.append(
                mismatch(
                    TRAINING,
                    "batch.global_batch",
                    batch["global_batch"],
                    ", ".join(str(size) for size in sorted(sizes)),
                    _(
                        "windows per step after step {step} in {file}",
                        step=str(resumed),
                        file=order,
                    ),
                )
            )
        tokens = windows * seq_len
    if tokens is None:  # a resumed run without its data order: the log's count below only
        tokens = seen
    elif seen != tokens:
        problems.append(mismatch(TRAINING, "stats.tokens_seen", seen, tokens, how))
    flops = 6 * stats["parameters"] * tokens
    for where, value in (
        ("stats.flops_6nd", stats.get("flops_6nd")),
        ("flops.flops_6nd", record.get("flops", {}).get("flops_6nd")),
    ):
        if value is not None and value != flops:
            problems.append(
                mismatch(
                    TRAINING,
                    where,
                    value,
                    flops,
                    _("6 × stats.parameters × {tokens} tokens seen", tokens=str(tokens)),
                )
            )
    logged = _last_logged(bundle / TRAINING_LOG, "tokens_seen")
    if logged is not None and logged != seen:
        problems.append(
            mismatch(
                TRAINING,
                "stats.tokens_seen",
                seen,
                logged,
                _("the last step of {file}", file=TRAINING_LOG),
            )
        )
    problems.extend(energy_problems(TRAINING, record))
    problems.extend(_lineage_copy(bundle, "model", stats, TRAINING))
    return problems


def finetune_problems(bundle: Path, listed: dict[str, str]) -> list[str | Message]:
    """The released fine-tune's record against its log and the lineage, then each earlier
    fine-tune's of a chain against its own (the Model Documentation Form sums their compute
    and energy: a number edited in one of them is named here, not summed)."""
    problems: list[str | Message] = [
        *_tuning_problems(bundle, listed, FINETUNE_RECORD, FINETUNE_LOG, "finetune")
    ]
    lineage = _object(bundle / LINEAGE) if (bundle / LINEAGE).is_file() else {}
    for number, meta in enumerate(earlier_finetunes(lineage), start=1):
        folder = f"{TRAINING_METADATA}/{FINETUNE_EARLIER}/{meta['id']}"
        record, log = f"{folder}/finetune.json", f"{folder}/finetune_log.jsonl"
        if record not in listed:  # its compute and energy would be missing from the sums
            problems.append(
                _(
                    "{lineage} names the earlier fine-tune {model}, but the bundle lacks its "
                    "record {file}",
                    lineage=LINEAGE,
                    model=str(meta["id"]),
                    file=record,
                )
            )
            continue
        role = f"{EARLIER_ROLE}_{number}"
        # a record that stops the check is named itself, not the released fine-tune's
        problems += guarded(partial(_tuning_problems, bundle, listed, record, log, role), record)
    return problems


def _tuning_problems(
    bundle: Path, listed: dict[str, str], file: str, log: str, role: str
) -> list[Message]:
    """A fine-tune's steps against the last step of its own log, its tokens seen against the
    steps the log records × its batch × seq_len, its energy against its stats, and the
    lineage's copy (under `role`)."""
    path = bundle / file
    if not path.is_file():
        return []
    record = _object(path)
    stats = record.get("stats") or {}
    problems = []
    logged = _last_logged(bundle / log, "step") if log in listed else None
    if logged is not None and {"steps", "tokens_seen", "global_batch_size"} <= stats.keys():
        if stats["steps"] != logged:
            problems.append(
                mismatch(
                    file,
                    "stats.steps",
                    stats["steps"],
                    logged,
                    _("the last step of {file}", file=log),
                )
            )
        expected = logged * stats["global_batch_size"] * int(record["training"]["seq_len"])
        if stats["tokens_seen"] != expected:
            problems.append(
                mismatch(
                    file,
                    "stats.tokens_seen",
                    stats["tokens_seen"],
                    expected,
                    _(
                        "the {steps} steps of {file} × global_batch_size × seq_len",
                        steps=str(logged),
                        file=log,
                    ),
                )
            )
    problems.extend(energy_problems(file, record))
    problems.extend(_lineage_copy(bundle, role, stats, file))
    if (bundle / LINEAGE).is_file():  # the base it names, against the one its id hashes
        lineage = _object(bundle / LINEAGE)
        problems.extend(lineage_base_problems(lineage, role, record, file, LINEAGE))
    return problems


def energy_problems(file: str, record: dict[str, Any]) -> list[Message]:
    """A run record states its kWh twice: as found (`energy`) and in its stats (which the
    lineage copies); the documents sum the first, so both must agree. An estimate's kWh is
    its own formula again: (watts per CPU thread × threads + GPU watts) × its seconds."""
    stats, energy = record.get("stats") or {}, record.get("energy")
    problems = _estimate_problems(file, energy) if isinstance(energy, dict) else []
    if "energy_kwh" not in stats:
        return problems
    measured, stated = recorded_kwh(energy), stats["energy_kwh"]
    if stated is None and measured is None:  # a run from before its energy was measured
        return problems
    number = isinstance(stated, int | float) and not isinstance(stated, bool)
    if number and measured is not None and math.isclose(stated, measured, rel_tol=_REL_TOL):
        return problems
    how = _("the kWh its energy records as measured")
    return [*problems, mismatch(file, "stats.energy_kwh", stated, measured, how)]


def _estimate_problems(file: str, energy: dict[str, Any]) -> list[Message]:
    """`energy.kwh_this_run` of an estimate (`model/energy.py`) against its assumptions and
    `seconds_this_run`, which the record rounds to the millisecond: equal up to that."""
    assumptions, kwh = energy.get("assumptions"), energy.get("kwh_this_run")
    estimate = str(energy.get("method", "")).startswith("estimate")
    if not estimate or not isinstance(assumptions, dict):
        return []
    watts = estimated_watts(assumptions)
    seconds = float(energy["seconds_this_run"])
    expected = watts * seconds / JOULES_PER_KWH
    slack = watts * _ROUNDED_SECONDS / JOULES_PER_KWH * (1 + _REL_TOL)
    number = isinstance(kwh, int | float) and not isinstance(kwh, bool)
    if number and abs(kwh - expected) <= slack:
        return []
    how = _(
        "{watts} W × energy.seconds_this_run {seconds} s (its assumptions)",
        watts=f"{watts:g}",
        seconds=f"{seconds:g}",
    )
    return [mismatch(file, "energy.kwh_this_run", kwh, expected, how)]


def evaluation_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """Perplexity = exp(loss); bits per byte = loss × tokens / (bytes × ln 2); the documents,
    their bytes and the tokens the evaluation scored = the test documents tokenised, EOS after
    each, less the first token (which nothing predicts)."""
    path = bundle / EVALUATION
    if not path.is_file():
        return []
    results = _object(path)
    loss, tokens, size = float(results["loss"]), results["tokens"], results["bytes"]
    problems = []
    try:
        perplexity = math.exp(loss)
    except OverflowError:  # a loss no model has: exp() of it is no float
        perplexity = math.inf
    if not math.isclose(results["perplexity"], perplexity, rel_tol=_REL_TOL):
        problems.append(
            mismatch(EVALUATION, "perplexity", results["perplexity"], perplexity, _("exp(loss)"))
        )
    if size:
        bits = loss * tokens / (size * math.log(2))
        if not math.isclose(results["bits_per_byte"], bits, rel_tol=_REL_TOL):
            problems.append(
                mismatch(
                    EVALUATION,
                    "bits_per_byte",
                    results["bits_per_byte"],
                    bits,
                    _("loss × tokens / (bytes × ln 2)"),
                )
            )
    problems.extend(_test_problems(bundle, listed, results))
    problems.extend(_lineage_copy(bundle, "evaluation", results, EVALUATION))
    return problems


def _test_problems(bundle: Path, listed: dict[str, str], results: dict[str, Any]) -> list[Message]:
    """The documents, bytes and tokens `evaluation.json` states, counted in the test shards
    the MANIFEST lists; a bundle whose tokenizer is no `tokenizer.json` is said not checked."""
    shards = listed_shards(listed, TEST_DATA, TEST_SHARDS)
    if not shards:
        return []
    documents = int(results["documents"])
    texts = list(islice(evaluated_texts(bundle, shards), documents))
    shards_said = f"{TEST_DATA}/{TEST_SHARDS}"
    problems = []
    if len(texts) != documents:
        problems.append(
            mismatch(
                EVALUATION,
                "documents",
                documents,
                len(texts),
                _("the documents in {shards}", shards=shards_said),
            )
        )
    size = sum(len(t.encode("utf-8")) for t in texts)
    if "bytes" in results and results["bytes"] != size:
        problems.append(
            mismatch(
                EVALUATION,
                "bytes",
                results["bytes"],
                size,
                _(
                    "the first {documents} documents of {shards} in UTF-8",
                    documents=str(len(texts)),
                    shards=shards_said,
                ),
            )
        )
    if TOKENIZER not in listed:
        return [
            *problems,
            _(
                "{file}: tokens not checked: the bundle has no {tokenizer} to count them with",
                file=EVALUATION,
                tokenizer=TOKENIZER,
            ),
        ]
    counted = _test_tokens(bundle, texts)
    if counted != results["tokens"]:
        problems.append(
            mismatch(
                EVALUATION,
                "tokens",
                results["tokens"],
                counted,
                _("the test shards tokenised with {tokenizer}", tokenizer=TOKENIZER),
            )
        )
    return problems


def checkpoint_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    """The intermediate weights `training.json` records (name and sha256) against the files in
    `training-metadata/checkpoints/`: one deleted with its MANIFEST line is named, not missed."""
    path = bundle / TRAINING
    if not path.is_file():
        return []
    recorded = _object(path).get("snapshots") or {}
    folder = f"{TRAINING_METADATA}/checkpoints/"
    present = {
        rel.removeprefix(folder): digest for rel, digest in listed.items() if rel.startswith(folder)
    }
    problems = [
        _(
            "{file} records the checkpoint {name}, but {folder} lacks it",
            file=TRAINING,
            name=name,
            folder=folder,
        )
        for name in sorted(recorded.keys() - present.keys())
    ]
    problems.extend(
        _("{path} is not among the checkpoints {file} records", path=folder + name, file=TRAINING)
        for name in sorted(present.keys() - recorded.keys())
    )
    problems.extend(
        _(
            "{path}: sha256 {found}, but {file} records {recorded}",
            path=folder + name,
            found=present[name],
            file=TRAINING,
            recorded=str(recorded[name]).removeprefix("sha256:"),
        )
        for name in sorted(present.keys() & recorded.keys())
        if str(recorded[name]).removeprefix("sha256:") != present[name]
    )
    return problems


def _listed(
    listed: dict[str, str], folder: str, value: Any, record: str, key: str
) -> str | Message | None:
    """The bundle path a record names relative to `folder`, where the MANIFEST lists it (a
    record never makes `verify` read outside the files checked); None where it names none."""
    if value is None or value == "":
        return None
    rel = f"{folder}/{value}" if isinstance(value, str) else None
    if rel is None or rel not in listed:
        return _(
            "{file}: {key} names {value!r}, which is not a file of the bundle's MANIFEST",
            file=record,
            key=key,
            value=str(value)[:200],
        )
    return rel


def _replayed(order: Path, resumed: int) -> tuple[int, int, set[int]]:
    """Steps and windows in the data order (one JSON record a step), and the windows per step
    of the steps after `resumed` (those the recorded batch took)."""
    steps = windows = 0
    sizes = set()
    with order.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                taken = len(json.loads(line)["windows"])
                steps, windows = steps + 1, windows + taken
                if steps > resumed:
                    sizes.add(taken)
    return steps, windows, sizes


def _last_logged(log: Path, key: str) -> Any:
    """`key` of the last record of a JSONL log that has it (the run's final count)."""
    if not log.is_file():
        return None
    value = None
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            if key in line:
                value = json.loads(line).get(key, value)
    return value


def evaluated_texts(bundle: Path, shards: list[str]) -> Iterator[str]:
    """The test documents in the order the evaluation read them (`shards`: bundle paths, in
    order), streamed a batch at a time: only those taken are read."""
    for shard in shards:
        for batch in parquet_batches(bundle / shard, shard, ["text"]):
            yield from batch.column(0).to_pylist()


def _test_tokens(bundle: Path, texts: list[str]) -> int:
    """Tokens the evaluation predicts in the test texts: as pretraining packs them, less one."""
    return packed_tokens(bundle_tokenizer(bundle), texts) - 1 if texts else 0


def _lineage_copy(bundle: Path, role: str, record: dict[str, Any], file: str) -> list[Message]:
    """The lineage keeps each stage's stats: the same numbers as the record in the bundle."""
    path = bundle / LINEAGE
    if not path.is_file():
        return []
    copy = (_object(path).get(role) or {}).get("stats") or {}
    return [
        _(
            "{lineage}: {role}.stats.{key} is {found}, {file} says {value}",
            lineage=LINEAGE,
            role=role,
            key=key,
            found=str(copy[key]),
            file=file,
            value=str(record[key]),
        )
        for key in sorted(copy.keys() & record.keys())
        if copy[key] != record[key]
    ]


def mismatch(file: str, key: str, found: Any, expected: Any, how: str | Message) -> Message:
    return _(
        "{file}: {key} is {found}, the files give {expected} ({how})",
        file=file,
        key=key,
        found=str(found),
        expected=str(expected),
        how=how,
    )


def _object(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise InputError(_("{file} is not a JSON object", file=path.name))
    return value
