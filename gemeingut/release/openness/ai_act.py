"""The EU AI Act documents a release can evidence, written from the bundle's files alone.

- `AI_ACT_SUMMARY.md`: the public summary of training content (Art. 53(1)(d)) in the sections
  of the Commission's template: 1 general information (provider, model, modalities, the
  training corpus's size in tokens, documents and bytes counted in its shards, languages),
  2 list of data sources (the sources, their licences and volumes, the fine-tuning data and,
  where `data curate` made it, its filtering from the curated dataset's record),
  3 data processing (use of content under reuse licences instead of the TDM
  exception, the filters that removed content).
- `model_documentation.json`: the fields of the GPAI Code of Practice's Model Documentation
  Form that the artifacts evidence (authenticity = the weights' sha256, dependencies,
  architecture and parameters, modalities and context, licence, training data, compute and
  energy with their methods). A field the files cannot evidence says so; nothing is invented.
  The form has no field for a contact: Measure 1.2 of the Code's Transparency chapter asks the
  provider to publish one for requests of the documentation, so the form carries the contact
  given at release beside the provider's name (`provider_contact`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.data.licenses import decide
from gemeingut.data.publish.reasons import filter_said, reason_said
from gemeingut.i18n import Message, _, numeral, plural, text
from gemeingut.release.card_phrases import report_language
from gemeingut.release.layout import (
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    FINETUNE_RECORD,
    MODEL,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_finetunes,
)
from gemeingut.release.manifest import hash_files
from gemeingut.release.markdown_table import row, table
from gemeingut.release.openness.chain_runs import (
    Run,
    chain_compute,
    chain_energy,
    chain_runs,
    earlier_runs,
    pretraining_run,
    released_run,
    stage_compute,
)
from gemeingut.release.openness.corpus_size import (
    TOKENIZER,
    TRAIN_SHARDS,
    CorpusSize,
    training_corpus,
)
from gemeingut.release.openness.curated_data import (
    curated_caption,
    curated_datasets,
    uncurated_files,
)
from gemeingut.release.openness.evidence import Evidence

SUMMARY_FILE = "AI_ACT_SUMMARY.md"
FORM_FILE = "model_documentation.json"
NOT_EVIDENCED = "not evidenced by the release's files (the provider must state it)"
_ENERGY_SCOPE = "the pretraining only: the fine-tuning recorded no energy"
_PRETRAINING_UNKNOWN = "the fine-tuning only: the pretraining recorded no energy"
# The same words in the summary, which is written in the release's language.
NOT_SHOWN = _("not evidenced by the release's files (the provider must state it)")
# The template's ranges for the size of text training data.
_TOKEN_RANGES = (
    (1e9, _("less than 1 billion tokens")),
    (1e13, _("1 billion to 10 trillion tokens")),
)
Line = str | Message
# the fine-tuning data of a release of our own pretraining: the released fine-tune's, and each
# earlier one's of a chain
_TUNING_FOLDERS = (f"{TRAINING_DATA}/{FINETUNE_DATA}/", f"{TRAINING_DATA}/{FINETUNE_EARLIER}/")


def _facts(bundle: Path, evidence: Evidence) -> dict[str, Any]:
    meta = bundle / TRAINING_METADATA
    lineage = _json(meta / "lineage.json")
    weights = sorted(
        p.relative_to(bundle).as_posix()
        for p in (bundle / MODEL).iterdir()
        if p.is_file() and p.suffix in (".safetensors", ".gguf")
    )
    return {
        "lineage": lineage,
        "training": _json(meta / "training.json"),
        "config": _json(bundle / MODEL / "config.json"),
        "release": evidence.release,
        "digests": hash_files(bundle, weights),
        "dataset": lineage["dataset"],
        "tuned": lineage.get("finetune"),
    }


def training_summary(bundle: Path, evidence: Evidence) -> str:
    """The summary in the release's document language (English for a bundle from before the
    setting), in the sections of the Commission's template."""
    f = _facts(bundle, evidence)
    language = report_language(evidence.release)
    release, dataset, tuned = f["release"], f["dataset"], f["tuned"]
    stats = dataset["stats"]
    tokens = f["lineage"]["model"]["stats"]["tokens_seen"]
    languages = ", ".join(
        text(
            plural(
                v,
                _("{language} (1 document)", language=k),
                _("{language} ({count} documents)", language=k, count=v),
            ),
            language,
        )
        for k, v in sorted(stats["kept_by_language"].items())
    )
    missing = _("_{text}_", text=NOT_SHOWN)
    lines: list[Line] = [
        _("# Public summary of training content: {name}", name=release["name"]),
        "",
        _(
            "Written by gemeingut from this bundle's files in the sections of the European "
            "Commission's template for the summary required by Art. 53(1)(d) of the AI Act. "
            "Fields marked _{missing}_ must be completed by the provider.",
            missing=NOT_SHOWN,
        ),
        "",
        *identification(release, _dependencies(f["lineage"]), missing),
        "",
        _("### 1.3 Modalities, overall training data size and other characteristics"),
        "",
        _("- Modality: text"),
        *_data_size(training_corpus(bundle), tokens, stats),
        _(
            "- Types of content: {sources}",
            sources=", ".join(f"`{s}`" for s in sorted(stats["kept_by_source"])),
        ),
        _("- Latest date of data acquisition: {date}", date=missing),
        _("- Languages: {languages}", languages=languages),
        "",
        _("## 2. List of data sources"),
        "",
        _("### 2.1 Publicly available datasets"),
        "",
        _(
            "Every training document is published with this model in `training-data/` and "
            "`test-data/`, each with its licence, source, URL and attribution."
        ),
        "",
        *source_table(dataset, evidence, language),
        "",
        _("### 2.2 Private non-publicly available datasets obtained from third parties"),
        "",
        _private_data(evidence),
        "",
        _("### 2.3 Data crawled and scraped from online sources"),
        "",
        _(
            "The build read the files named in its recipe; how they were collected is {missing}.",
            missing=NOT_SHOWN,
        ),
        "",
        _("### 2.4 User data"),
        "",
        _("Whether a source holds data of users of a service is {missing}.", missing=NOT_SHOWN),
        "",
        _("### 2.5 Synthetic data"),
        "",
        _("Whether a source holds synthetic text is {missing}.", missing=NOT_SHOWN),
        "",
        _("### 2.6 Other sources of data"),
        "",
        *earlier_finetuning(bundle, f["lineage"]),
        *_finetuning(tuned, _fine_tuning(bundle) or {}),
        *([] if tuned is None else _tuning_filtering(evidence, language)),
        "",
        _("## 3. Data processing aspects"),
        "",
        _("### 3.1 Respect of reservation of rights from the text and data mining exception"),
        "",
        _reuse_licences(evidence, stats, language),
        "",
        _("### 3.2 Removal of illegal content"),
        "",
        *illegal_content(dataset, language),
        "",
        _("### 3.3 Other information"),
        "",
        *quality_filters(stats, language),
        "",
    ]
    return "\n".join(text(line, language) for line in lines)


def identification(release: dict[str, Any], dependencies: Line, missing: Line) -> list[Line]:
    """The template's sections 1.1 and 1.2: who provides the model, and which model it is."""
    return [
        _("## 1. General information"),
        "",
        _("### 1.1 Provider identification"),
        "",
        _("- Provider: {provider}", provider=", ".join(release.get("authors") or []) or missing),
        _("- Contact: {contact}", contact=str(release.get("contact") or "") or missing),
        "",
        _("### 1.2 Model identification"),
        "",
        _("- Model name: {name}", name=release["name"]),
        _("- Model dependencies: {dependencies}", dependencies=dependencies),
        _("- Date of placement on the Union market: {date}", date=missing),
    ]


def provider_fields(release: dict[str, Any]) -> dict[str, str]:
    """The form's provider, as `release.json` names it: its legal name, and the contact that
    Measure 1.2 asks the provider to publish (the form has no field of its own for it)."""
    return {
        "legal_name_of_provider": ", ".join(release.get("authors") or []) or NOT_EVIDENCED,
        "provider_contact": str(release.get("contact") or "") or NOT_EVIDENCED,
    }


def model_documentation(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> dict[str, Any]:
    f = _facts(bundle, evidence)
    training, config, release = f["training"], f["config"], f["release"]
    return {
        "form": "GPAI Code of Practice, Model Documentation Form (fields evidenced by gemeingut)",
        "general_information": {
            **provider_fields(release),
            "model_name": release["name"],
            "model_authenticity": {
                "sha256": f["digests"],
                "signature": "bundle.sig (OpenSSF model-signing) when the bundle is signed",
            },
            "release_date": NOT_EVIDENCED,
            "union_market_release_date": NOT_EVIDENCED,
            "model_dependencies": text(_dependencies(f["lineage"]), "en"),
        },
        "model_properties": {
            "architecture": ", ".join(config.get("architectures") or []),
            "design_specification": {
                k: config.get(k)
                for k in (
                    "model_type",
                    "hidden_size",
                    "num_hidden_layers",
                    "num_attention_heads",
                    "num_key_value_heads",
                    "intermediate_size",
                    "vocab_size",
                )
            },
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "maximum_input_size_tokens": config.get("max_position_embeddings"),
            "total_parameters": evidence.parameters,
        },
        "distribution_and_licences": {
            "licence": rating["licenses"]["weights"],
            "documents_licence": rating["licenses"]["documents"],
            "code_licence": rating["licenses"]["code"],
            "openness": {"mof": rating["mof"]["label"], "osaid": rating["osaid"]["summary"]},
        },
        "use": {"acceptable_use_policy": NOT_EVIDENCED, "intended_uses": NOT_EVIDENCED},
        "training_process": {
            "steps": training["training"]["steps"],
            "tokens_per_step": training["batch"]["tokens_per_step"],
            "optimizer": training["optimizer"],
            "description": "see TECHNICAL_REPORT.md",
        },
        "training_data": {
            "type": "text",
            "provenance": "documents with licence and source per document; see "
            "AI_ACT_SUMMARY.md section 2 and training-data/",
            "documents_kept": f["dataset"]["stats"]["kept"],
            "documents_excluded": f["dataset"]["stats"]["excluded"],
            "excluded_by_reason": f["dataset"]["stats"]["excluded_by_reason"],
            "size": _corpus_said(training_corpus(bundle)),
            "tokens_seen_in_pretraining": f["lineage"]["model"]["stats"]["tokens_seen"],
        },
        **_resources(bundle),
    }


def _resources(bundle: Path) -> dict[str, Any]:
    """The form's compute and energy: of every run of a chain of fine-tunes (`chain_runs.py`),
    else of the pretraining and the fine-tuning after it, where there is one."""
    if earlier := earlier_runs(bundle):
        runs = chain_runs(bundle, earlier)
        return {
            "computational_resources": chain_compute(runs),
            "energy_consumption": chain_energy(runs),
        }
    pretraining = pretraining_run(bundle)
    tuned = released_run(bundle) if (bundle / FINETUNE_RECORD).is_file() else None
    return {
        "computational_resources": _compute(pretraining, tuned),
        "energy_consumption": _energy(pretraining, tuned),
    }


def _corpus_said(corpus: CorpusSize | None) -> dict[str, Any] | str:
    """The training split's size as the form states it, or that the files do not evidence it."""
    if corpus is None or corpus.tokens is None:
        return NOT_EVIDENCED
    return {
        "tokens": corpus.tokens,
        "documents": corpus.documents,
        "bytes": corpus.bytes,
        "files": TRAIN_SHARDS,
        "method": f"each document encoded with {TOKENIZER} without special tokens, then EOS "
        "(as pretraining packs them)",
    }


def _fine_tuning(bundle: Path) -> dict[str, Any] | None:
    path = bundle / FINETUNE_RECORD
    return _json(path) if path.is_file() else None


def _compute(pretraining: Run, tuned: Run | None) -> dict[str, Any]:
    """Time and compute of the whole making of the model: the pretraining, and where the
    released model was fine-tuned after it, the sum of both runs with each one named."""
    said = {
        "training_time_seconds": pretraining.seconds,
        "training_compute_flops": pretraining.flops,
        "compute_method": "6·N·D",
        "hardware": pretraining.hardware,
    }
    if tuned is None:
        return said
    summed = chain_compute([pretraining, tuned])
    return {
        "training_time_seconds": summed["training_time_seconds"],
        "training_compute_flops": summed["training_compute_flops"],
        "compute_method": "the sum of the pretraining's and the fine-tuning's (stages)",
        "stages": {
            "pretraining": {**said, "record": pretraining.record},
            "fine-tuning": stage_compute(tuned),
        },
    }


def _energy(pretraining: Run, tuned: Run | None) -> dict[str, Any]:
    """The pretraining's energy; where the released model was fine-tuned after it, the sum of
    both runs with each one named, as `_compute` sums them (a fine-tuning recorded before
    gemeingut measured its energy leaves the pretraining's alone, and says so)."""
    said = {"kwh": pretraining.kwh, "method": pretraining.method or NOT_EVIDENCED}
    if tuned is None:
        return said
    if tuned.kwh is None:
        return {**said, "scope": _ENERGY_SCOPE}
    stages = {
        "pretraining": {**said, "record": pretraining.record},
        "fine-tuning": {
            "kwh": tuned.kwh,
            "method": tuned.method or NOT_EVIDENCED,
            "record": tuned.record,
        },
    }
    if pretraining.kwh is None:  # a pretraining recorded before gemeingut measured its energy
        return {
            "kwh": tuned.kwh,
            "method": "the fine-tuning's only (stages)",
            "scope": _PRETRAINING_UNKNOWN,
            "stages": stages,
        }
    return {
        "kwh": pretraining.kwh + tuned.kwh,
        "method": "the sum of the pretraining's and the fine-tuning's (stages)",
        "stages": stages,
    }


def _not_open(evidence: Evidence) -> list[str]:
    """Licences of published training documents that the licence gate would refuse."""
    return sorted(lic for lic in evidence.training_data.documents if not decide(lic).admitted)


def _private_data(evidence: Evidence) -> Message:
    refused = _not_open(evidence)
    if refused:
        return _(
            "Documents under licences that do not allow reuse by anyone: {licences}.",
            licences=str(refused),
        )
    return _(
        "None: every training document carries a licence that allows reuse by anyone, and all "
        "of them are published in this bundle."
    )


def _reuse_licences(evidence: Evidence, stats: dict[str, Any], language: str) -> Message:
    refused = _not_open(evidence)
    if refused:
        return _(
            "Documents under {licences} were used; their licences do not permit reuse.",
            licences=str(refused),
        )
    licences = ", ".join(f"`{k}`" for k in sorted(evidence.training_data.documents))
    return _(
        "No content was used under the text and data mining exception: every document carries "
        "a licence that permits reuse ({licences}), checked document by document by the "
        "licence gate; documents without such a licence were excluded ({excluded}).",
        licences=licences,
        excluded=_excluded_by_licence(stats, language),
    )


def _dependencies(lineage: dict[str, Any]) -> Message:
    tuned = lineage.get("finetune")
    if tuned is None:
        return _("none: trained from scratch by this build")
    base = tuned["stats"].get("base_model") or tuned["inputs"].get("base")
    if earlier := earlier_finetunes(lineage):  # a fine-tune of a fine-tune
        return _(
            "fine-tuned from `{base}`, the last of the fine-tunes {chain} of the pretrained "
            "model `{model}` of this build (all in its lineage)",
            base=str(base),
            chain=", ".join(f"`{meta['id']}`" for meta in earlier),
            model=str(lineage["model"]["id"]),
        )
    return _(
        "fine-tuned from `{base}` (the pretrained model of this build, in its lineage)",
        base=str(base),
    )


def _data_size(corpus: CorpusSize | None, seen: int, stats: dict[str, Any]) -> list[Line]:
    """The template's size of the training data: the tokens of the corpus the model was
    pretrained on (its range, and the count, documents and bytes behind it), then the tokens
    seen in pretraining and the documents the curation kept, each said as what it is."""
    lines: list[Line] = []
    if corpus is None or corpus.tokens is None:  # no shards or no tokenizer to count with
        lines.append(_("- Training data size (text): {size}", size=_("_{text}_", text=NOT_SHOWN)))
    else:
        lines.append(
            _(
                "- Training data size (text): {range}: {tokens} tokens in {documents} documents, "
                "{bytes} bytes of UTF-8 text (the training split `{shards}`, counted with the "
                "model's tokenizer `{tokenizer}`, each document followed by EOS)",
                range=_token_range(corpus.tokens),
                tokens=corpus.tokens,
                documents=corpus.documents,
                bytes=corpus.bytes,
                shards=TRAIN_SHARDS,
                tokenizer=TOKENIZER,
            )
        )
    lines.append(
        _(
            "- Tokens seen in pretraining: {tokens}; documents kept by the curation: {kept} of "
            "{read} read (split into training, validation and test data)",
            tokens=seen,
            kept=stats["kept"],
            read=stats["documents_in"],
        )
    )
    return lines


def _token_range(tokens: int) -> Message:
    return next(
        (label for limit, label in _TOKEN_RANGES if tokens < limit),
        _("more than 10 trillion tokens"),
    )


def source_table(dataset: dict[str, Any], evidence: Evidence, language: str) -> list[Line]:
    """The sources of a curated dataset (its record: `stats`), each with the documents kept,
    their characters and the licences their documents carry in the bundle's shards."""
    return [
        _("| source | documents kept | characters | licences of its documents |"),
        "|---|---|---|---|",
        *_source_rows(dataset, evidence, language),
    ]


def _source_rows(dataset: dict[str, Any], evidence: Evidence, language: str) -> list[str]:
    volume = dataset["stats"]["kept_volume"]["by_source"]
    licences: dict[str, set[str]] = {}
    for data in (evidence.training_data, evidence.test_data):
        for lic, sources in data.sources.items():
            for source in sources:
                licences.setdefault(source, set()).add(lic)
    return [
        row(
            (
                f"`{source}`",
                count,
                volume.get(source, {}).get("characters", 0),
                ", ".join(f"`{x}`" for x in sorted(licences.get(source, ()))),
            ),
            language,
        )
        for source, count in sorted(dataset["stats"]["kept_by_source"].items())
    ]


def _finetuning(tuned: dict[str, Any] | None, record: dict[str, Any]) -> list[Line]:
    """The fine-tuning data (`record`: its finetune.json, {} where the bundle has none)."""
    if tuned is None:
        return [_("None.")]
    licence = tuned["params"].get("data_license") or _("the licences of its documents")
    return [
        _(
            "Fine-tuning data: {examples} under {licence}, published in "
            "`training-data/finetuning/`; {tokens}.",
            examples=_examples(record),
            licence=licence,
            tokens=tuning_tokens(tuned["stats"]),
        )
    ]


def _tuning_filtering(evidence: Evidence, language: str) -> list[Line]:
    """How the fine-tuning data (a chain's too) was filtered: of each curated dataset, what its
    curation removed and what its language and quality filters excluded, from its record;
    data given as files was not filtered by gemeingut, so that is said to be missing."""
    curated = curated_datasets(evidence, _TUNING_FOLDERS)
    if not curated:
        return ["", _("Filtering of the fine-tuning data is {missing}.", missing=NOT_SHOWN)]
    lines: list[Line] = []
    for folder, record in curated:
        lines += [
            "",
            curated_caption(folder, record),
            "",
            *illegal_content(record, language),
            "",
            *quality_filters(record["stats"], language),
        ]
    if others := uncurated_files(evidence, curated, _TUNING_FOLDERS):
        lines += [
            "",
            _(
                "Filtering of the other fine-tuning data ({files}) is {missing}.",
                files=", ".join(f"`{rel}`" for rel in others),
                missing=NOT_SHOWN,
            ),
        ]
    return lines


def earlier_finetuning(bundle: Path, lineage: dict[str, Any]) -> list[Line]:
    """The data of each fine-tune before the released one (a fine-tune of a fine-tune), oldest
    first, from its record in `training-metadata/finetuning-earlier/<id>/`."""
    lines: list[Line] = []
    for meta in earlier_finetunes(lineage):
        folder = bundle / TRAINING_METADATA / FINETUNE_EARLIER / meta["id"]
        record = folder / Path(FINETUNE_RECORD).name
        licence = meta["params"].get("data_license") or _("the licences of its documents")
        lines += [
            _(
                "Data of the earlier fine-tune {model}: {examples} under {licence}, published in "
                "`{folder}`; {tokens}.",
                model=meta["id"],
                examples=_examples(_json(record) if record.is_file() else {}),
                licence=licence,
                folder=f"training-data/{FINETUNE_EARLIER}/{meta['id']}/",
                tokens=tuning_tokens(meta["stats"]),
            ),
            "",
        ]
    return lines


def _examples(record: dict[str, Any]) -> Message:
    """The examples of a fine-tune's data as its finetune.json counts them."""
    data = record.get("data") or {}
    train, validation = data.get("train") or {}, data.get("validation") or {}
    return _(
        "{examples} examples ({train} for training, {validation} for validation)",
        examples=train.get("examples", 0) + validation.get("examples", 0),
        train=train.get("examples", 0),
        validation=validation.get("examples", 0),
    )


def tuning_tokens(stats: dict[str, Any]) -> Message:
    """The fine-tuning's two token counts, each by what it is, as the cards label them: the
    tokens of the training examples the loss counts (once each), and how many such tokens the
    training saw in all its steps."""
    said = _(
        "{tokens} tokens of the training examples that the loss counts (each once)",
        tokens=stats.get("trained_tokens", 0),
    )
    if stats.get("answer_tokens_seen") is None:  # a record from before it was kept
        return said
    steps = stats.get("steps")
    named = {"counted": said, "seen": stats["answer_tokens_seen"]}
    if not isinstance(steps, int):  # not recorded: said as such
        return _(
            "{counted}; {seen} such tokens seen in training ({steps} steps)", **named, steps="?"
        )
    return plural(
        steps,
        _("{counted}; {seen} such tokens seen in training ({steps} step)", **named, steps=steps),
        _("{counted}; {seen} such tokens seen in training ({steps} steps)", **named, steps=steps),
    )


def _excluded_by_licence(stats: dict[str, Any], language: str) -> Line:
    """The documents refused for their licence, by reason: what it means, its code beside it."""
    refused = {r: n for r, n in stats["excluded_by_reason"].items() if r.startswith("licence-")}
    said = [
        f"{numeral(n, language)} × {reason_said(r, language)}" for r, n in sorted(refused.items())
    ]
    return ", ".join(said) or _("none")


def illegal_content(dataset: dict[str, Any], language: str) -> list[Line]:
    """What the curation of a dataset (its record: `params`, `stats`) removed because it may
    not be used: personal data (replaced) and documents whose licence does not allow it
    (excluded). Quality filters remove no illegal content, so they are not listed here
    (`quality_filters`)."""
    stats = dataset["stats"]
    pii = stats.get("blocks", {}).get("pii_scrubber", {}).get("replacements", {})
    if (dataset.get("params") or {}).get("pii_types") == []:  # the scrubber looked for none
        personal = _("- Personal data: not looked for (the curation's `pii_types` is empty).")
    else:
        personal = _(
            "- Personal data replaced by placeholders: {replaced}.",
            replaced=", ".join(f"{k}: {numeral(v, language)}" for k, v in sorted(pii.items()))
            or _("none found"),
        )
    return [
        personal,
        _(
            "- Documents excluded because their licence does not permit the use: {excluded}.",
            excluded=_excluded_by_licence(stats, language),
        ),
        "",
        _("Whether other illegal content was removed is {missing}.", missing=NOT_SHOWN),
    ]


def quality_filters(stats: dict[str, Any], language: str) -> list[Line]:
    """The language and quality filters: they shape the data, and remove no illegal content."""
    excluded = [
        (filter_said(name, language), block["excluded"])
        for name, block in stats.get("blocks", {}).items()
        if "excluded" in block
    ]
    if not excluded:
        return [_("No language or quality filter excluded documents.")]
    return [
        _("Language and quality filters (they do not look for illegal content):"),
        "",
        *table((_("filter"), _("documents excluded")), excluded, language),
    ]


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
