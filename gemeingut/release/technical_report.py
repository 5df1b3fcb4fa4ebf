"""TECHNICAL_REPORT.md: how the model was made and what it can do, from the bundle's own files.

Everything comes from `training-metadata/` (lineage, training record, evaluation), the model's
`config.json`, the audit's `report.json` and `release.json` (who provides the model and the
contact given at release, as the card says them), so `verify` renders it again and compares. Prose
that only people can write (intended use beyond the description) is marked as not given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gemeingut.audit.report_text import TEXT as AUDIT_TEXT
from gemeingut.data.publish.reasons import reason_said
from gemeingut.i18n import Message, _, as_written, decimal, localized, numeral, plural, text
from gemeingut.model.finetune_said import (
    as_sentence,
    loss_said,
    unvalidated_said,
    validation_source,
)
from gemeingut.release.card import METHODS
from gemeingut.release.card_phrases import provider_phrase, report_language
from gemeingut.release.energy_method import energy_method
from gemeingut.release.finetune_phrases import chain_phrase, cut_sentence, own_chain_phrase
from gemeingut.release.layout import (
    AUDIT,
    FINETUNE_RECORD,
    MODEL,
    RELEASE_INFO,
    TRAINING_METADATA,
    earlier_finetunes,
)
from gemeingut.release.markdown_table import Cell, table
from gemeingut.release.openness.chain_runs import (
    Link,
    Run,
    chain_compute,
    chain_energy,
    chain_runs,
    earlier_runs,
    tuning_links,
    tuning_runs,
)
from gemeingut.release.openness.evidence import validation_curve
from gemeingut.release.openness.treatment import PRE_TRAINED, SAID
from gemeingut.stage_names import stage_name

Line = str | Message
_NOT_GIVEN = _("_not given in the recipe_")


def render_technical_report(bundle: Path) -> str:
    meta = bundle / TRAINING_METADATA
    lineage = _read(meta / "lineage.json")
    training = _read(meta / "training.json")
    evaluation = _read(meta / "evaluation.json")
    config = _read(bundle / MODEL / "config.json")
    release = _read(bundle / RELEASE_INFO)
    language = report_language(release)
    dataset, tokenizer = lineage["dataset"], lineage["tokenizer"]
    stats = dataset["stats"]
    optimizer, batch = training["optimizer"], training["batch"]
    lines: list[Line] = [
        _("# Technical report: {name}", name=release["name"]),
        "",
        _(
            "Generated from the files of this bundle (`training-metadata/`, "
            "`model/config.json`, `audit/report.json`); `gemeingut verify` renders it again "
            "and compares."
        ),
        "",
        provider_phrase(release, language),
        "",
        _("## 1. Summary"),
        "",
        *table(
            (_("item"), _("value")),
            [
                (
                    _("architecture"),
                    _(
                        "`{architecture}` (preset `{preset}`)",
                        architecture=training["architecture"],
                        preset=training["preset"],
                    ),
                ),
                (_("parameters"), numeral(lineage["model"]["stats"]["parameters"], language)),
                (
                    _("context length"),
                    _("{count} tokens", count=config.get("max_position_embeddings")),
                ),
                (
                    _("vocabulary"),
                    _(
                        "{count} tokens (byte-level BPE)",
                        count=numeral(tokenizer["stats"]["vocab_size"], language),
                    ),
                ),
                (_("training tokens seen"), numeral(training["stats"]["tokens_seen"], language)),
                (
                    _("training compute"),
                    _(
                        "{flops} FLOPs (6·N·D)",
                        flops=as_written(f"{training['flops']['flops_6nd']:.3e}", language),
                    ),
                ),
                (_("energy"), _energy(training["energy"], language)),
                (_("hardware"), _hardware(training["hardware"])),
                (_("languages"), ", ".join(release.get("languages") or []) or _NOT_GIVEN),
                (_("treatment"), _treatment(release.get("treatment") or PRE_TRAINED)),
            ],
            language,
        ),
        "",
        _("## 2. Training data"),
        "",
        _(
            "{read} documents read, {kept} kept, {excluded} excluded. Every kept document "
            "carries its licence and source in the shards (`license`, `source`, `url`, "
            "`attribution` columns).",
            read=stats["documents_in"],
            kept=stats["kept"],
            excluded=stats["excluded"],
        ),
        "",
        *table(
            (_("source"), _("documents kept")), sorted(stats["kept_by_source"].items()), language
        ),
        "",
        *table(
            (_("licence"), _("documents kept")),
            [(f"`{k}`", v) for k, v in sorted(stats["kept_by_license"].items())],
            language,
        ),
        "",
        *table(
            (_("reason for exclusion"), _("documents")),
            [
                (reason_said(reason, language), count)
                for reason, count in sorted(stats["excluded_by_reason"].items())
            ],
            language,
        ),
        "",
        _("## 3. Tokenizer"),
        "",
        _(
            "Byte-level BPE with {count} tokens, trained on the training split (`{id}`): "
            "{bytes} bytes per token on the test split.",
            count=numeral(tokenizer["stats"]["vocab_size"], language),
            id=tokenizer["id"],
            bytes=decimal(tokenizer["stats"]["test_bytes_per_token"], 2, language),
        ),
        "",
        _("## 4. Architecture"),
        "",
        *table(
            (_("config.json field"), _("value")),
            [(f"`{k}`", f"`{config[k]}`") for k in _ARCHITECTURE_FIELDS if k in config],
            language,
        ),
        "",
        _("## 5. Training"),
        "",
        *table(
            (_("hyper-parameter"), _("value")),
            [(f"`{k}`", f"`{v}`") for k, v in sorted(training["training"].items())],
            language,
        ),
        "",
        _(
            "Optimizer: {name}, betas {betas}, {schedule}, gradient clipping {clip}. Global "
            "batch {batch} sequences ({tokens} tokens per step). The data order is replayable "
            "from `training-metadata/data_order/`.",
            name=optimizer["name"],
            betas=" / ".join(localized(str(beta), language) for beta in optimizer["betas"]),
            schedule=_schedule(optimizer["schedule"], training["training"], language),
            clip=localized(str(optimizer["grad_clip"]), language),
            batch=batch["global_batch"],
            tokens=numeral(batch["tokens_per_step"], language),
        ),
        "",
        *table(
            (_("step"), _("validation loss")),
            _validation_curve(meta / "training_log.jsonl", language),
            language,
        ),
        "",
        *_snapshots(training),
        *_finetuning(bundle, lineage, language),
        _("## 7. Evaluation"),
        "",
        _(
            "Held-out test split: {documents} documents, {tokens} tokens; loss {loss} "
            "nats/token, perplexity {perplexity}, {bpb} bits per byte.",
            documents=evaluation["documents"],
            tokens=numeral(evaluation["tokens"], language),
            loss=decimal(evaluation["loss"], 4, language),
            perplexity=decimal(evaluation["perplexity"], 2, language),
            bpb=decimal(evaluation["bits_per_byte"], 4, language),
        ),
        "",
        *_audit(bundle / AUDIT / "report.json", language),
        _("## 8. Use and reproduction"),
        "",
        _(
            "- Load: `AutoModelForCausalLM.from_pretrained('model')` (transformers), or serve "
            "in your own network: `gemeingut serve .`"
        ),
        _(
            "- Check: `gemeingut verify .` (hashes, openness checks, this report; with "
            "`--key PUBLIC_KEY` also the signature)."
        ),
        _(
            "- Rebuild: the code that ran is `training-code/` (exact package versions in "
            "`training-code/requirements.lock`), the recipe `training-code/recipe.toml`."
        ),
        "",
        *_lineage_section(_("## 9. Lineage"), lineage, language),
    ]
    return _written(lines, language)


_ARCHITECTURE_FIELDS = (
    "model_type",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "hidden_act",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_parameters",
    "tie_word_embeddings",
    "vocab_size",
)


def _written(lines: list[Line], language: str) -> str:
    return "\n".join(text(line, language) for line in lines)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _energy(energy: dict[str, Any], language: str) -> Line:
    kwh = as_written(
        f"{energy.get('kwh_total_extrapolated', energy.get('kwh_this_run')):.3g}", language
    )
    return _("{kwh} kWh ({method})", kwh=kwh, method=energy_method(energy, language))


def _lineage_rows(lineage: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """Each artifact by its stage's name, its role (the key in lineage.json) beside it."""
    return [
        (f"{stage_name(role, language)} (`{role}`)", f"`{m['id']}`") for role, m in lineage.items()
    ]


def _treatment(treatment: str) -> Line:
    """The MOF's word for what was done to the model (`release.json` keeps it as the MOF
    schema spells it), in the report's language."""
    return SAID.get(treatment, treatment)


def _schedule(schedule: str, training: dict[str, Any], language: str) -> Line:
    """The learning-rate schedule with the run's own numbers; one recorded in words the
    report does not know stays as recorded."""
    if schedule != "linear warm-up, cosine decay to min_lr_ratio":
        return schedule
    return _(
        "linear warm-up over {steps}, then cosine decay to {ratio} × the peak learning rate",
        steps=_steps(int(training["warmup_steps"])),
        ratio=numeral(training.get("min_lr_ratio"), language),
    )


def _tuning_energy(record: dict[str, Any], language: str) -> Line:
    """As the fine-tune's record measured it; a record from before that has none."""
    from gemeingut.release.openness.finetune_energy import tuning_energy

    energy = tuning_energy(record)
    if energy is None:
        return _("not recorded (fine-tuned before gemeingut measured a fine-tuning's energy)")
    return _energy(energy, language)


def _hardware(hardware: dict[str, Any]) -> Line:
    device = hardware.get("device")
    if device == "cuda":
        return f"{hardware.get('gpu_count')} × {hardware.get('gpu_name', 'GPU')}"
    threads = int(hardware.get("torch_threads") or 0)
    return plural(
        threads,
        _("{cpu}, {count} thread", cpu=str(hardware.get("cpu_model")), count=threads),
        _("{cpu}, {count} threads", cpu=str(hardware.get("cpu_model")), count=threads),
    )


def _validation_curve(log: Path, language: str) -> list[tuple[Any, Any]]:
    return [(step, decimal(loss, 4, language)) for step, loss in validation_curve(log)]


def _snapshots(training: dict[str, Any]) -> list[Line]:
    names = sorted(training.get("snapshots", {}))
    if not names:
        return [_("No intermediate weights were kept (`model.snapshot_every` was 0)."), ""]
    snapshots = plural(len(names), _("1 snapshot"), _("{count} snapshots", count=len(names)))
    return [
        _(
            "Intermediate weights: {snapshots} in `training-metadata/checkpoints/` ({names}).",
            snapshots=snapshots,
            names=", ".join(names),
        ),
        "",
    ]


def _finetuning(bundle: Path, lineage: dict[str, Any], language: str) -> list[Line]:
    """The fine-tuning of the released model; in a chain every link's, oldest first, each by
    its lineage record (which `verify` holds to the link's own record)."""
    tuned = lineage.get("finetune")
    if tuned is None:
        return []
    links = tuning_links(bundle)
    if len(links) == 1:
        described = [
            _(
                "Method: {method}; {trainable} trainable parameters, {steps}, {tokens} tokens "
                "seen; the run is described in `training-metadata/finetune.json`.",
                **_tuned(tuned["stats"], language),
            )
        ]
    else:
        metas = [*earlier_finetunes(lineage), tuned]
        described = [
            _(
                "- Fine-tuning {number} of {count}, `{model}`: method {method}; {trainable} "
                "trainable parameters, {steps}, {tokens} tokens seen; its record: `{record}`.",
                number=number,
                count=len(links),
                model=link.model,
                record=link.record,
                **_tuned(meta["stats"], language),
            )
            for number, (link, meta) in enumerate(zip(links, metas, strict=True), start=1)
        ]
    return [_("## 6. Fine-tuning"), "", *described, "", *_chain(bundle, lineage, language)]


def _tuned(stats: dict[str, Any], language: str) -> dict[str, Any]:
    """A fine-tuning's method and counts, as its lineage record states them."""
    return {
        "method": stats["method"],
        "trainable": numeral(stats["trainable_parameters"], language),
        "steps": _steps(stats["steps"]),
        "tokens": numeral(stats["tokens_seen"], language),
    }


def _chain(bundle: Path, lineage: dict[str, Any], language: str) -> list[Line]:
    """A fine-tune of a fine-tune's chain, from the pretrained model on (as the card says it),
    and the compute and energy of all its runs, as the Model Documentation Form sums them
    (`chain_runs.py`): the summary's figures are the pretraining's alone."""
    chain = own_chain_phrase(lineage, language)
    if chain is None:
        return []
    runs = chain_runs(bundle, earlier_runs(bundle))
    return [
        _(
            "The model is fine-tuned from an earlier fine-tune; the chain, from the pretrained "
            "model on: {chain}. Each earlier fine-tune's record and log are in "
            "`training-metadata/finetuning-earlier/<id>/`.",
            chain=chain,
        ),
        "",
        *table(  # a table row: reproduce sets energy rows aside (it varies from run to run)
            ("", ""),
            [
                (
                    _("training compute of the chain's {count} runs", count=len(runs)),
                    _chain_compute(runs, language),
                ),
                (
                    _("energy of the chain's {count} runs", count=len(runs)),
                    _chain_energy(runs, language),
                ),
            ],
            language,
        ),
        "",
    ]


def _chain_compute(runs: list[Run], language: str, *, tunings_only: bool = False) -> Message:
    """The FLOPs of the runs, summed as the Model Documentation Form sums them; 6·N·D of a
    fine-tuning counts all N parameters, which for a LoRA is an upper bound (`tunings_only`:
    every run a fine-tuning, as on a foreign base)."""
    flops = as_written(f"{chain_compute(runs)['training_compute_flops']:.3e}", language)
    said = (
        _("{flops} FLOPs (6·N·D, N all parameters: for LoRA an upper bound)", flops=flops)
        if tunings_only
        else _("{flops} FLOPs (6·N·D)", flops=flops)
    )
    return _chain_sum(said, [run.record for run in runs if run.flops is None])


def _chain_energy(runs: list[Run], language: str) -> Line:
    kwh = chain_energy(runs)["kwh"]
    if not isinstance(kwh, float):  # no run recorded its energy
        return _("not recorded")
    said = _("{kwh} kWh", kwh=as_written(f"{kwh:.3g}", language))
    return _chain_sum(said, [run.record for run in runs if run.kwh is None])


def _chain_sum(total: Message, unrecorded: list[str]) -> Message:
    """A chain's total, summed from its runs' records; those that do not record it named."""
    if not unrecorded:
        return _("{total}, the sum of its runs' records", total=total)
    return _(
        "{total}, the sum of its runs' records; not recorded in {records}",
        total=total,
        records=", ".join(f"`{record}`" for record in unrecorded),
    )


def _audit(report_path: Path, language: str) -> list[Line]:
    """The audit's parts by the names its reports give them in `language`, each with the suite
    it drew its items from, as `report.json` names it (memorisation draws from the training
    data, and has none)."""
    if not report_path.is_file():
        return [_("This release holds no audit (`audit/`)."), ""]
    report = _read(report_path)
    words = AUDIT_TEXT[language]
    parts: list[Line] = []
    for part in ("tasks", "bias", "memorisation", "redteam", "findings"):
        if not report.get(part):
            continue
        suite = report[part].get("suite") if isinstance(report[part], dict) else None
        parts.append(
            _("- {part}: {suite}", part=words[part], suite=str(suite))
            if suite
            else _("- {part}", part=words[part])
        )
    return [
        _("The audit in `audit/` covers:"),
        "",
        *parts,
        "",
        _(
            "Its reports (`audit/report.de.md`, `audit/report.en.md`) give every number with "
            "its interval and method."
        ),
        "",
    ]


def render_finetune_report(bundle: Path) -> str:
    """The technical report of a fine-tune of a foreign base: the base (named, rated from
    `base-model/`), the fine-tuning data, method, curve, hardware, audit and lineage; for a
    chain of fine-tunes on the base, each link's from its own record."""
    from gemeingut.release.openness.finetune_rating import base_paragraph, shown_base

    meta = bundle / TRAINING_METADATA
    record = _read(meta / "finetune.json")
    lineage = _read(meta / "lineage.json")
    release = _read(bundle / RELEASE_INFO)
    language = report_language(release)
    links = [(link, _read(bundle / link.record)) for link in tuning_links(bundle)]
    chained, runs = len(links) > 1, tuning_runs(bundle)
    lines: list[Line] = [
        _("# Technical report: {name}", name=release["name"]),
        "",
        _(
            "Generated from the files of this bundle (`training-metadata/`, `base-model/`, "
            "`audit/report.json`); `gemeingut verify` renders it again and compares."
        ),
        "",
        provider_phrase(release, language),
        "",
        _("## 1. Base model"),
        "",
        base_paragraph(bundle, language),
        "",
        _("## 2. Fine-tuning data"),
        "",
        *_tuning_chain(lineage, shown_base(record["base_model"]), language),
        *_each_link(links, lambda link, own: _link_data(link, own, language)),
        _("## 3. Method"),
        "",
        *_each_link(links, lambda link, own: _link_method(own, language)),
        _("## 4. Training"),
        "",
        *_each_link(links, lambda link, own: _link_training(bundle, link, own, runs, language)),
        *_chain_totals(runs, language),
        _("## 5. Evaluation"),
        "",
        *_audit(bundle / AUDIT / "report.json", language),
        _("## 6. Use and reproduction"),
        "",
        _(
            "- Check: `gemeingut verify .` (hashes, the base's file list, openness checks, this "
            "report; with `--key PUBLIC_KEY` also the signature)."
        ),
        _(
            "- Rebuild: fine-tune the base model named above with the code in `training-code/` "
            "(exact package versions in `training-code/requirements.lock`), link by link as "
            "sections 2 to 4 list them, each on its data with its settings of section 3 "
            "(`gemeingut reproduce . --workspace FOLDER --base BASE_FOLDER` does this)."
        )
        if chained
        else _(
            "- Rebuild: fine-tune the base model named above with the code in `training-code/` "
            "(exact package versions in `training-code/requirements.lock`) on "
            "`training-data/finetuning/`, with the settings of section 3."
        ),
        "",
        *_lineage_section(_("## 7. Lineage"), lineage, language),
    ]
    return _written(lines, language)


def _lineage_section(heading: Line, lineage: dict[str, Any], language: str) -> list[Line]:
    """The report's last section, both kinds of report: each artifact of the lineage by id."""
    rows = _lineage_rows(lineage, language)
    return [heading, "", *table((_("artifact"), _("id")), rows, language), ""]


LinkPart = Callable[[Link, dict[str, Any]], list[Line]]


def _each_link(links: list[tuple[Link, dict[str, Any]]], part: LinkPart) -> list[Line]:
    """`part` of every fine-tuning, oldest first, each under its own heading in a chain (a
    single fine-tune's alone, as before chains were released)."""
    if len(links) == 1:
        return part(*links[0])
    lines: list[Line] = []
    for number, (link, own) in enumerate(links, start=1):
        heading = _(
            "### Fine-tuning {number} of {count}: `{model}`",
            number=number,
            count=len(links),
            model=link.model,
        )
        lines += [heading, "", *part(link, own)]
    return lines


def _link_data(link: Link, record: dict[str, Any], language: str) -> list[Line]:
    """A fine-tuning's data as its record counts it, and where the bundle holds it."""
    data = record["data"]
    train, validation = data["train"], data.get("validation") or {}
    return [
        *table(
            ("", ""),
            [
                (_("examples (train)"), train["examples"]),
                (
                    _("chats / prompt-completion pairs / texts"),
                    " / ".join(
                        numeral(train[key], language)
                        for key in ("chat_examples", "instruction_examples", "text_examples")
                    ),
                ),
                (
                    _("tokens the loss counts (each training example once)"),
                    numeral(train["trained_tokens"], language),
                ),
                (_("truncated examples"), train["truncated"]),
                (_("validation examples"), validation.get("examples", 0)),
                (_("validation from"), validation_source(data.get("validation_from", "-"))),
                (_("loss on"), loss_said(data.get("loss_on", "-"))),
            ],
            language,
        ),
        "",
        *([] if (cut := cut_sentence(record, language)) is None else [cut, ""]),
        _("The data is in `{folder}/`.", folder=link.data),
        "",
    ]


def _link_method(record: dict[str, Any], language: str) -> list[Line]:
    """A fine-tuning's method and hyper-parameters as its record states them."""
    stats, lora = record.get("stats") or {}, record.get("lora") or {}
    return [
        *table(
            ("", ""),
            [
                (_("method"), METHODS.get(record.get("output", ""), METHODS["full"])),
                (
                    "LoRA",
                    _("rank {rank}, alpha {alpha}", rank=lora["rank"], alpha=lora["alpha"])
                    if lora
                    else "-",
                ),
                (
                    _("trainable parameters"),
                    numeral(stats.get("trainable_parameters", 0), language),
                ),
                *((key, _setting(key, value)) for key, value in sorted(record["training"].items())),
            ],
            language,
        ),
        "",
    ]


def _setting(key: str, value: Any) -> Cell:
    """A recorded setting's value as the report's language writes it (0,0002; ja): a number as
    one (`table` writes it), a truth in words, the seed as a name (no digit groups), any other
    value (`auto`, `ddp`) as recorded."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return "-"
    if key == "seed" or not isinstance(value, int | float):
        return str(value)
    return value


def _link_training(
    bundle: Path, link: Link, record: dict[str, Any], runs: list[Run], language: str
) -> list[Line]:
    """A fine-tuning's run: steps, tokens, hardware, its resources (`runs`: every fine-tuning's,
    as `tuning_runs` reads them) and validation curve."""
    stats = record.get("stats") or {}
    return [
        _(
            "{steps}, {tokens} tokens seen, on {hardware}.",
            steps=_steps(int(stats.get("steps") or 0)),
            tokens=numeral(stats.get("tokens_seen", 0), language),
            hardware=_hardware(record.get("hardware") or {}),
        ),
        "",
        *table(  # a table row: reproduce sets energy rows aside (it varies from run to run)
            ("", ""), _link_resources(link, record, runs, language), language
        ),
        "",
        *_link_curve(bundle / link.log, record, language),
        "",
    ]


def _link_curve(log: Path, record: dict[str, Any], language: str) -> list[Line]:
    """A fine-tuning's validation losses; without any, why, as its card says it."""
    curve = _validation_curve(log, language)
    if not curve:
        return [as_sentence(text(unvalidated_said(record)[0], language))]
    return table((_("step"), _("validation loss")), curve, language)


def _link_resources(
    link: Link, record: dict[str, Any], runs: list[Run], language: str
) -> list[tuple[Line, Line]]:
    """A fine-tuning's energy; in a chain also its compute (the chain's totals follow)."""
    if len(runs) == 1:
        return [(_("energy of the fine-tuning"), _tuning_energy(record, language))]
    last = link.record == FINETUNE_RECORD
    flops = next(run.flops for run in runs if run.record == link.record)
    compute = (
        _(
            "{flops} FLOPs (6·N·D, N all parameters: for LoRA an upper bound)",
            flops=as_written(f"{flops:.3e}", language),
        )
        if flops is not None
        else _("not recorded")
    )
    return [
        (_("training compute of the fine-tuning"), compute),
        (
            _("energy of the last fine-tuning") if last else _("energy of the fine-tuning"),
            _tuning_energy(record, language),
        ),
    ]


def _tuning_chain(lineage: dict[str, Any], base: Message | str, language: str) -> list[Line]:
    """A chain on a foreign base, from the base on, as the card says it (nothing for a single
    fine-tune): sections 2 to 4 describe each link by its own record."""
    chain = chain_phrase(lineage, base, language)
    if chain is None:
        return []
    return [
        _(
            "The released model is the last of a chain of fine-tunes of the base model: "
            "{chain}. Sections 2 to 4 describe each fine-tuning by its own record (an earlier "
            "one's, with its log, in `training-metadata/finetuning-earlier/<id>/`); the "
            "chain's totals close section 4.",
            chain=chain,
        ),
        "",
    ]


def _chain_totals(runs: list[Run], language: str) -> list[Line]:
    """In a chain on a foreign base, the compute and energy of all its fine-tunings (`runs`),
    summed as the Model Documentation Form sums them (`tuning_runs`: the base's own training
    is its provider's to state); nothing for a single fine-tune."""
    if len(runs) == 1:
        return []
    rows: list[tuple[Line, Line]] = [
        (
            _("training compute of the chain's {count} fine-tunings", count=len(runs)),
            _chain_compute(runs, language, tunings_only=True),
        ),
        (
            _("energy of the chain's {count} fine-tunings", count=len(runs)),
            _chain_energy(runs, language),
        ),
    ]
    # a table row: reproduce sets energy rows aside (it varies from run to run); under a
    # heading of its own, not inside the last link's section
    heading = _("### All {count} fine-tunings of the chain", count=len(runs))
    return [heading, "", *table(("", ""), rows, language), ""]


def _steps(count: int) -> Message:
    """A run's steps, the noun in its number: "1 step", "4 steps"."""
    return plural(count, _("{count} step", count=count), _("{count} steps", count=count))
