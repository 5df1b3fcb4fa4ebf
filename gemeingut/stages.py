"""Each stage as one call: name its inputs and parameters, then build (or reuse) its artifact.

Both `gemeingut build` and the single-stage commands go through here, so an artifact made by
hand and one made by a recipe get the same id for the same work.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Stages that need torch or transformers import them inside the stage function, so
# `data curate` (and every worker process it forks) never loads them.
from gemeingut.data.curate import curate
from gemeingut.data.licenses import decide
from gemeingut.data.publish import PublicationInfo, publish_dataset
from gemeingut.data.publish.licenses import needs_attribution
from gemeingut.data.readers import FOLDER_SUFFIXES, entered_not
from gemeingut.data.shards import SHARD_DIR, iter_texts
from gemeingut.data.use_conditions import ReleaseTerms, violations
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file, sha256_json
from gemeingut.i18n import Message, _, plural, text
from gemeingut.recipe import (
    AuditSection,
    DataSection,
    EvaluateSection,
    FinetuneSection,
    ModelSection,
    ReleaseSection,
    TokenizerSection,
)
from gemeingut.release.openness.licences import describe_conflicts, share_alike_conflicts
from gemeingut.release.openness.sentences import joined
from gemeingut.workspace import ARTIFACT_FILE, Artifact, Place, load_artifact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gemeingut.audit.subject import Subject


def source_fingerprint(
    path: Path, suffixes: tuple[str, ...] | None = FOLDER_SUFFIXES, *, hidden: bool = True
) -> str:
    """Content hash of an input, so a changed corpus never reuses an old dataset; of a folder,
    the files with `suffixes` (all files with None), in hidden folders too unless not
    `hidden` (a curated source's reader does not enter them: a commit to its .git is no new
    corpus)."""
    if path.is_dir():
        return "sha256:" + sha256_json(_folder_entries(path, suffixes, hidden))
    if path.is_file():
        return "sha256:" + sha256_file(path)
    raise missing_input(path)


def missing_input(path: Path, where: str | None = None) -> InputError:
    """The error for an input that is not there; `where`: the recipe's file, line and key that
    name it, where the caller knows them (`build` checks a recipe's inputs before any stage)."""
    problem = _("input {path} does not exist", path=path)
    return InputError(
        problem if where is None else _("{path}: {problem}", path=where, problem=problem),
        _("check the path in the recipe or command"),
    )


def _folder_entries(root: Path, suffixes: tuple[str, ...] | None, hidden: bool) -> dict[str, str]:
    """What identifies a folder's content: each regular file's hash, each link's target, and
    for a file that cannot be read the reason (the reader excludes it; a run must not abort
    here). Links are not followed and FIFOs not opened, so hashing never blocks."""
    entries: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        if not hidden:
            entered_not(folder, subfolders)
        for name in sorted(names) + [n for n in subfolders if Path(folder, n).is_symlink()]:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if suffixes is not None and path.suffix.lower() not in suffixes:
                continue
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                entries[rel] = "link:" + os.readlink(path)
            elif stat.S_ISREG(mode):
                try:
                    entries[rel] = "sha256:" + sha256_file(path)
                except OSError as exc:
                    entries[rel] = f"unreadable:{exc.errno}"
            else:
                entries[rel] = "special"
    return entries


def curate_stage(place: Place, data: DataSection) -> tuple[Artifact, bool]:
    inputs = {f"source:{s.name}": source_fingerprint(s.path, hidden=False) for s in data.sources}
    # Paths differ between machines; the content hash in `inputs` identifies the data instead.
    # Workers and task size change how the work is cut, never the output: not part of the id;
    # the publication prose has its own artifact, so editing it never retrains a model.
    exclude = {
        "sources": {"__all__": {"path"}},
        "workers": True,
        "task_rows": True,
        "executor": True,
        "publication": True,
    }
    params = data.model_dump(mode="json", exclude=exclude)
    workers = data.workers or os.cpu_count() or 1
    return place("dataset", inputs, params, lambda out: curate(data, out, workers), resumable=True)


_ATTRIBUTION_MISSING = "licence-attribution-missing"  # `data.blocks.LicenseGate`'s reason


def require_documents(dataset: Artifact) -> None:
    """A dataset with nothing kept is written (its exclusions tell why), but nothing can be
    built on it: say so at once instead of failing stages later."""
    stats = dataset.stats
    if stats.get("kept", 0) == 0:
        by_reason: dict[str, int] = stats.get("excluded_by_reason", {})
        reasons = ", ".join(f"{r}: {n}" for r, n in by_reason.items())
        raise InputError(
            plural(
                stats.get("documents_in", 0),
                _("the one document was excluded ({reasons})", reasons=reasons),
                _(
                    "every one of the {count} documents was excluded ({reasons})",
                    count=stats.get("documents_in", 0),
                    reasons=reasons or _("no documents read"),
                ),
            ),
            _excluded_hint(by_reason, dataset.path / "exclusions.parquet"),
        )


def _excluded_hint(by_reason: dict[str, int], path: Path) -> Message:
    """What to do about the reasons that excluded every document: a licence where the gate
    found none open, an attribution and url where an attribution licence lacks them, the
    filters only where something else excluded documents."""
    licence = {reason for reason in by_reason if reason.startswith("licence-")}
    advice: list[Message] = []
    if licence - {_ATTRIBUTION_MISSING}:
        advice.append(_("give documents an open licence (--license or a `license` field)"))
    if _ATTRIBUTION_MISSING in licence:
        advice.append(
            _(
                "give documents an attribution and a source url (--attribution and --url, or "
                "the fields `attribution` and `url`)"
            )
        )
    if len(licence) < len(by_reason) or not advice:
        advice.append(_("relax the filters"))
    return _("see {path} for each document's reason; {advice}", path=path, advice=joined(advice))


def publish_stage(place: Place, dataset: Artifact, info: PublicationInfo) -> tuple[Artifact, bool]:
    """Data statement, Croissant, DCAT-AP.de, NOTICE and the data files, ready to upload."""

    def build(out: Path) -> dict[str, Any]:
        return publish_dataset(dataset.path, info, out, with_data=True)

    return place("publication", {"dataset": dataset.id}, info.model_dump(mode="json"), build)


def tokenizer_stage(
    place: Place, dataset: Artifact, section: TokenizerSection
) -> tuple[Artifact, bool]:
    from gemeingut.model.tokenizer import train_tokenizer

    if dataset.stats.get("splits", {}).get("train", {}).get("documents", 1) == 0:
        raise InputError(
            _(
                "the train split of {path} is empty: there is nothing to train a tokenizer on",
                path=dataset.path,
            ),
            _("add documents, or lower data.validation_fraction and data.test_fraction"),
        )

    def build(out: Path) -> dict[str, Any]:
        tokenizer = train_tokenizer(
            iter_texts(dataset.path, "train"), out, section.vocab_size, section.min_frequency
        )
        return {"vocab_size": len(tokenizer), **_bytes_per_token(tokenizer, dataset.path)}

    return place("tokenizer", {"dataset": dataset.id}, section.model_dump(mode="json"), build)


def _bytes_per_token(tokenizer: Any, dataset_dir: Path) -> dict[str, float]:
    texts = list(iter_texts(dataset_dir, "test"))
    tokens = sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    words = sum(len(t.split()) for t in texts)
    return {
        "test_bytes_per_token": round(n_bytes / tokens, 4) if tokens else 0.0,
        "test_tokens_per_word": round(tokens / words, 4) if words else 0.0,
    }


def pretrain_stage(
    place: Place, dataset: Artifact, tokenizer: Artifact, section: ModelSection
) -> tuple[Artifact, bool]:
    from gemeingut.model.pretrain import pretrain

    inputs = {"dataset": dataset.id, "tokenizer": tokenizer.id}
    return place(
        "model",
        inputs,
        section.model_dump(mode="json"),
        lambda out: pretrain(dataset.path, tokenizer.path, section, out),
        resumable=True,
    )


def finetune_stage(
    place: Place,
    base: Path,
    data: Path,
    section: FinetuneSection,
    release_license: str | None = None,
    licence_field: str = "release.license",
) -> tuple[Artifact, bool]:
    """A LoRA adapter (kind "adapter") or a whole model (merged, or full fine-tuning).

    The base model's licence is checked against the intended release licence before any
    training (`licence_field`: the option or recipe key that gave it, named in a refusal);
    its fingerprint (an artifact id, or the hash of its files) and the data's are the inputs,
    so the lineage names both.
    """
    from gemeingut.model.base_model import (
        inspect_base_model,
        release_refusal,
        unchanged_artifact,
    )
    from gemeingut.model.finetune import finetune
    from gemeingut.model.finetune_given import record_command
    from gemeingut.model.release_licence import record_release_licence

    # A reused fine-tune was checked when it was built: its base's files are hashed only for
    # a new one (`build`), not on every call.
    facts = inspect_base_model(base, section.base_license, check_files=False)
    refusal = release_refusal(facts, release_license)
    if refusal:
        raise InputError(*refusal)
    if facts.own and release_license is not None:  # our model: its data's licences bind it
        pretrained_on = _own_base_data(Path(facts.path))
        if pretrained_on is not None:
            sources = _licence_sources(pretrained_on, section.data_license)
            _refuse_share_alike_conflicts(release_license, sources, licence_field)
    inputs = {"base": facts.fingerprint, "data": _fingerprint(data)}
    if section.validation is not None:
        inputs["validation"] = _fingerprint(section.validation)
    # Paths differ between machines (their content hashes are the inputs); the intended release
    # licence gates the run and is recorded for the release, but changing it never retrains.
    params = section.model_dump(mode="json", exclude={"base", "data", "validation"})
    kind = "adapter" if section.method == "lora" and not section.merge else "model"

    def build(out: Path) -> dict[str, Any]:
        if (Path(facts.path) / ARTIFACT_FILE).is_file():  # a gemeingut model: its id is no hash
            unchanged_artifact(Path(facts.path))
        stats = finetune(facts, data, section, out)
        record_release_licence(out, release_license)
        record_command(out, licence_field)  # where its licences were given
        return stats

    return place(kind, inputs, params, build, resumable=True)


def export_stage(
    place: Place,
    model: Artifact,
    dtype: str,
    name: str | None = None,
    licence: str | None = None,
) -> tuple[Artifact, bool]:
    """The model as one GGUF file (`model.gguf`), its name and licence in the metadata, read
    back and checked tensor by tensor."""
    from gemeingut.model.export import GGUF_FILE, export_gguf

    def build(out: Path) -> dict[str, Any]:
        summary = export_gguf(model.path, out / GGUF_FILE, dtype, name, licence)
        return {key: value for key, value in summary.items() if key != "path"}

    params = {"dtype": dtype, "name": name, "license": licence}
    return place("gguf", {"model": model.id}, params, build)


def _fingerprint(path: Path) -> str:
    """An artifact's id, or the content hash of a file or folder."""
    if (path / ARTIFACT_FILE).is_file():
        return load_artifact(path).id
    return source_fingerprint(path)


def evaluate_stage(
    place: Place, model: Artifact, dataset: Artifact, section: EvaluateSection
) -> tuple[Artifact, bool]:
    from gemeingut.evaluate.perplexity import evaluate_perplexity

    def build(out: Path) -> dict[str, Any]:
        return evaluate_perplexity(
            model.path, dataset.path, out, section.batch_size, section.max_documents
        )

    inputs = {"model": model.id, "dataset": dataset.id}
    return place("evaluation", inputs, section.model_dump(mode="json"), build)


def audit_stage(
    place: Place, subject: Subject, section: AuditSection, command: str | None
) -> tuple[Artifact, bool]:
    """Tasks, bias, memorisation and red team of one model (folder or endpoint), resumable.

    The inputs name the model (its artifact id, folder hash or endpoint), its training
    documents (the pretraining's or those given, and a fine-tune's own data, each apart) and
    any suite or findings file the user gave, by content; `command` (how the audit was
    started) goes into the report so readers can re-run it, not into the id."""
    from gemeingut.audit.report import write_report
    from gemeingut.audit.run import check_inputs, run_audit
    from gemeingut.audit.subject import FINETUNING, source_key

    check_inputs(section)
    if subject.model_dir is not None:  # where and in which number format the scores come
        section = section.model_copy(update=_resolved_machine(section))
    inputs = {"model": subject.lineage}
    for source in subject.documents:  # each source of training documents by its files' hashes
        # (a fine-tune's own data is no file of the auditor's: `reproduce` tells them apart)
        name = "finetuning_data" if source.kind == FINETUNING else "training"
        inputs[source_key(name, source.model)] = source.fingerprint()  # an ancestor's: its id
    runs = set(section.suites)
    for name, path, suite in (
        ("tasks_suite", section.tasks.suite, "tasks"),
        ("bias_suite", section.bias.suite, "bias"),
        ("redteam_suite", section.redteam.suite, "redteam"),
        ("canaries", section.memorisation.canaries, "memorisation"),
        ("findings", section.findings, None),
    ):
        if path is not None and (suite is None or suite in runs):
            inputs[name] = source_fingerprint(path, suffixes=None)
    paths = {
        "findings": True,
        "tasks": {"suite"},
        "bias": {"suite"},
        "redteam": {"suite"},
        "memorisation": {"canaries"},
    }
    params = section.model_dump(mode="json", exclude=paths)

    def build(out: Path) -> dict[str, Any]:
        report = run_audit(subject, section, out)
        report["command"] = command
        write_report(report, out)
        return audit_stats(report)

    return place("audit", inputs, params, build, resumable=True)


def _resolved_machine(section: AuditSection) -> dict[str, str]:
    """ "auto" means the GPU and bf16 on one machine, the CPU and fp32 on another: the id
    names what runs, so an audit resumed on another kind of machine starts afresh."""
    from gemeingut.model.machine import resolve_device, resolve_precision

    device = resolve_device(section.device, setting="device")
    return {"device": device.type, "precision": resolve_precision(section.precision, device)}


def audit_stats(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its long lists (those stay in report.json): no memorised samples,
    traced spans or confirmed findings, and each source of training documents in brief."""
    from gemeingut.audit.subject import sources_in_brief

    stats = {k: v for k, v in report.items() if k not in ("memorisation", "findings")}
    if "training_data" in report:
        stats["training_data"] = sources_in_brief(report["training_data"])
    if "memorisation" in report:
        stats["memorisation"] = {
            k: v for k, v in report["memorisation"].items() if k not in ("memorised", "traced")
        }
    if "findings" in report:
        stats["findings"] = {k: v for k, v in report["findings"].items() if k != "confirmed"}
    return stats


def release_stage(
    place: Place,
    section: ReleaseSection,
    recipe_path: Path | None,
    artifacts: dict[str, Artifact],
    named: Mapping[str, str] | None = None,
) -> tuple[Artifact, bool]:
    """The release bundle of a build; with a "finetune" artifact (a whole model fine-tuned from
    the build's own model, or from a fine-tune of it) that model is released, and the data of
    every fine-tune of its chain with it. `named`: how the user gave a release field where not
    as the recipe's key (`gemeingut release`'s options: "release.license" → "--license")."""
    named = named or {}
    dataset, tuned = artifacts["dataset"], artifacts.get("finetune")
    earlier = _earlier_finetunes(tuned, artifacts["model"].id) if tuned is not None else []
    _check_lineage(artifacts, earlier)
    if "publication" in artifacts:  # its statement, as this version writes it, before building
        from gemeingut.release.publication_statement import refuse_other_statement

        stats = json.loads((dataset.path / "stats.json").read_text(encoding="utf-8"))
        refuse_other_statement(artifacts["publication"], stats, dataset.meta, dataset.path)
    if "audit" in artifacts:
        released = tuned or artifacts["model"]
        _check_audited_data(artifacts["audit"], released, dataset, earlier)
    terms = ReleaseTerms(section.license, section.commercial_use)
    refuse_broken_conditions(dataset.stats.get("use_conditions", {}), terms)
    for before in earlier:  # named: the released fine-tune's own data is not the one refused
        try:
            _check_finetune_data(before, terms)
        except InputError as exc:
            said = _(
                "the earlier fine-tune {model}: {problem}", model=before.id, problem=exc.message
            )
            raise InputError(said, exc.hint) from None
    if tuned is not None:
        _check_finetune_data(tuned, terms)
    stated = tuned.meta["params"].get("data_license") if tuned is not None else None
    sources = _licence_sources(dataset, stated, earlier)
    _refuse_share_alike_conflicts(
        section.license, sources, named.get("release.license", "release.license")
    )
    found = dataset.stats.get("kept_by_language") or {}
    absent = [lang for lang in section.languages if found and lang not in found]
    if absent:
        raise InputError(
            _(
                "{field}: {absent} but no kept document is in them (the data holds {found})",
                field=named.get("release.languages", "release.languages"),
                absent=absent,
                found=sorted(found),
            ),
            _("name only languages the training data holds, or add data in those languages"),
        )
    paper = section.paper
    if paper is not None and not paper.exists():
        raise InputError(
            _("release.paper: {path} does not exist", path=paper),
            _("give the path of the paper (a file or folder), relative to the recipe"),
        )
    from gemeingut.release.release_paper import refuse_unusable_paper

    refuse_unusable_paper(paper)
    params = {
        **section.model_dump(mode="json", exclude={"paper", "license_file"}),
        "recipe_sha256": sha256_file(recipe_path) if recipe_path else None,
        # A path differs between machines; the paper's content identifies it.
        "paper_sha256": source_fingerprint(paper, suffixes=None) if paper else None,
        **_licence_file_param(section.license_file),
    }
    inputs = {kind: artifact.id for kind, artifact in artifacts.items()}
    if earlier:  # only for a chain: the ids of other releases stay what they were
        inputs["earlier_finetunes"] = ",".join(before.id for before in earlier)

    def build(out: Path) -> dict[str, Any]:
        from gemeingut.release.bundle import assemble_bundle

        built = assemble_bundle(section, recipe_path, artifacts, out, earlier)
        if "audit" in artifacts:
            _check_audited_copies(artifacts["audit"], out)
        return built

    return place("release", inputs, params, build, hashed=_published_digests)


def finetune_release_stage(
    place: Place,
    section: ReleaseSection,
    recipe_path: Path | None,
    tuned: Artifact,
    base_dir: Path | None = None,
    audit: Artifact | None = None,
    publication: Artifact | None = None,
) -> tuple[Artifact, bool]:
    """The release bundle of a model (or LoRA adapter) fine-tuned from a foreign base, or of
    a chain of our fine-tunes on one (each link's data and record with it): the fine-tune's
    own artifacts, and the base model named by its card, config, licence and file list
    (`base_dir`: the folder it was fine-tuned from, by default the one its record names);
    `publication`: that of the dataset it was fine-tuned on, whose data statement it ships."""
    from gemeingut.model.base_model import BaseModelFacts, release_refusal
    from gemeingut.model.loading import FINETUNE_FILE

    if not (tuned.path / FINETUNE_FILE).is_file():
        raise InputError(
            _(
                "{path} is not a fine-tuned model (no {file})",
                path=str(tuned.path),
                file=FINETUNE_FILE,
            ),
            _("pass the output of `gemeingut model finetune` with --finetuned"),
        )
    from gemeingut.release.finetune_chain import earlier_links

    earlier = earlier_links(tuned)  # a chain: the foreign base is its first link's
    if audit is not None and audit.meta["inputs"].get("model") != tuned.id:
        raise InputError(
            _(
                "the audit {audit} is of another model, not of {model}",
                audit=str(audit.path),
                model=tuned.id,
            ),
            _(
                "audit the fine-tuned model: gemeingut audit run {path} --out AUDIT",
                path=str(tuned.path),
            ),
        )
    if audit is not None:
        _check_audited_data(audit, tuned, None, earlier)
    if publication is not None:
        from gemeingut.release.finetune_publication import check_publication

        check_publication(publication, tuned)
    first = earlier[0] if earlier else tuned
    record = json.loads((first.path / FINETUNE_FILE).read_text(encoding="utf-8"))
    facts = BaseModelFacts(**record["base_model"])
    refusal = release_refusal(facts, section.license)
    if refusal:
        raise InputError(*refusal)
    base = (base_dir or Path(facts.path)).resolve()
    from gemeingut.release.openness.licence_conditions import check_release_conditions

    check_release_conditions(section.license, section.model_name, tuned.path, base)
    if section.base_hub_id:
        from gemeingut.release.hub_id import check_hub_id

        check_hub_id(section.base_hub_id, base)
    params = {
        **section.model_dump(mode="json", exclude={"paper", "license_file"}),
        "recipe_sha256": sha256_file(recipe_path) if recipe_path else None,
        # only where one is given: releases without a paper keep their ids
        **({"paper_sha256": _paper_key(section.paper)} if section.paper else {}),
    }
    inputs = {"finetune": tuned.id, "base": facts.fingerprint}
    if audit is not None:
        inputs["audit"] = audit.id
    if publication is not None:
        inputs["publication"] = publication.id
    if earlier:  # only for a chain: the ids of other releases stay what they were
        inputs["earlier_finetunes"] = ",".join(before.id for before in earlier)

    def build(out: Path) -> dict[str, Any]:
        from gemeingut.release.finetune_bundle import assemble_finetune_bundle

        built = assemble_finetune_bundle(
            section, tuned, base, recipe_path, audit, out, earlier, publication
        )
        _refuse_changed_finetuning_data(tuned, out)
        if audit is not None:
            _check_audited_copies(audit, out)
        return built

    return place("release", inputs, params, build, hashed=_published_digests)


def _paper_key(paper: Path) -> str:
    """The paper as the bundle will hold it (`release_paper.paper_fingerprint`), so that
    `reproduce`, which gives it again from the bundle, makes the same release."""
    from gemeingut.release.release_paper import paper_fingerprint, refuse_unusable_paper

    if not paper.exists():
        raise missing_input(paper)
    refuse_unusable_paper(paper)
    return paper_fingerprint(paper)


def _refuse_changed_finetuning_data(tuned: Artifact, out: Path) -> None:
    """The fine-tuning data the bundle publishes against what the fine-tune recorded, by the
    MANIFEST's digests: data changed after fine-tuning is not what the model learnt from."""
    from gemeingut.model.finetune import DATA_DIR
    from gemeingut.release.bundle import copied_from, refuse_changed_copies
    from gemeingut.release.layout import BUNDLE_DIR, FINETUNE_DATA, TRAINING_DATA
    from gemeingut.release.manifest import read_manifest

    bundle = out / BUNDLE_DIR
    copied = bundle / TRAINING_DATA / FINETUNE_DATA
    if copied.is_dir():
        copies = copied_from(tuned, tuned.path / DATA_DIR, copied, bundle)
        hint = _(
            "restore the data (its sha256 is in the artifact.json of {model}), or fine-tune "
            "again on the changed data (gemeingut model finetune) and release that model",
            model=str(tuned.path),
        )
        refuse_changed_copies(copies, read_manifest(bundle), hint)


def _published_digests(out: Path) -> dict[str, str]:
    """The MANIFEST's digests of the new bundle, so that its files are hashed once."""
    from gemeingut.release.bundle import published_digests

    return published_digests(out)


def _check_audited_data(
    audit: Artifact,
    released: Artifact,
    dataset: Artifact | None = None,
    earlier: list[Artifact] | None = None,
) -> None:
    """An audit is released only where it read the training documents the bundle will publish
    (the dataset's train shards, a fine-tune's own data): one of documents given with
    --training-data, or one that did not find the base's pretraining shards, would be refused
    by `verify`, or its memorisation drawn again from other documents. Compared as `verify`
    compares (`read_problems`), before anything is written: with the digests the dataset and
    the fine-tune recorded, not each shard read again (`_check_audited_copies` compares the
    copies' MANIFEST lines once the bundle is written)."""
    from gemeingut.audit.report import REPORT_JSON
    from gemeingut.audit.subject import published_documents
    from gemeingut.json_records import read_object
    from gemeingut.release.verify_training_data import (
        held_in_words,
        read_in_words,
        read_problems,
        to_publish,
    )

    file = audit.path / REPORT_JSON
    report = read_object(file, _("run the audit again")) or {}
    said = report.get("training_data")
    published = published_documents(dataset, released, earlier or ())
    try:
        problems = read_problems(said, published, to_publish)
        read = read_in_words(said)
    except (KeyError, TypeError, AttributeError):  # a report.json edited by hand
        raise InputError(
            _(
                "{file}: the section {section} is not as the audit writes it",
                file=str(file),
                section="training_data",
            ),
            _("run the audit again"),
        ) from None
    if problems:
        raise InputError(
            _(
                "the audit {audit} read other training documents than the bundle will "
                "publish: it read {read}, the bundle publishes {published} ({problems})",
                audit=str(audit.path),
                read=read,
                published=held_in_words(published),
                problems=joined(problems),
            ),
            _(
                "audit the released model on its own training data (without --training-data): "
                "gemeingut audit run {path} --out AUDIT, then release with --audit AUDIT",
                path=str(released.path),
            ),
        )


def _check_audited_copies(audit: Artifact, out: Path) -> None:
    """The bundle's training data, as its MANIFEST hashed the copies, against what the audit
    read: a shard changed after its artifact recorded it is refused here (`verify` would)."""
    from gemeingut.release.layout import BUNDLE_DIR
    from gemeingut.release.verify_training_data import copied_problems

    problems = copied_problems(out / BUNDLE_DIR)
    if problems:
        raise InputError(
            _(
                "the training data of the bundle is not what the audit {audit} read: {problems}",
                audit=str(audit.path),
                problems=joined(problems),
            ),
            _("the data changed after it was curated or fine-tuned on: audit the model again"),
        )


def _licence_file_param(path: Path | None) -> dict[str, str]:
    """The releaser's licence text by its content (only where given: the ids of releases
    without one stay what they were)."""
    if path is None:
        return {}
    from gemeingut.release.openness.weights_licence_text import read_licence_file

    read_licence_file(path, "release.license_file")  # a text, or refused before the release
    return {"license_file_sha256": sha256_file(path)}


def refuse_unkept_share_alike(dataset: Artifact, licence: str, stated: str | None) -> None:
    """The release licence against the share-alike licences of the kept data, refused right
    after curating (`build`) as the release stage refuses it, not after pretraining; `stated`:
    the licence of the fine-tuning data of the model to be released."""
    _refuse_share_alike_conflicts(licence, _licence_sources(dataset, stated))


def _refuse_share_alike_conflicts(
    licence: str, sources: dict[str, set[str]], field: str = "release.license"
) -> None:
    """A release licence that does not carry every share-alike licence of the data it was
    trained on is refused, at release and before fine-tuning our own model for it; `field`
    names where the licence was given."""
    conflicts = share_alike_conflicts(licence, sources)
    if conflicts:
        raise InputError(
            _(
                "{field}: {licence} does not carry the share-alike licences of the data: "
                "{conflicts}",
                field=field,
                licence=licence,
                conflicts=describe_conflicts(conflicts),
            ),
            _(
                "release the model under {licences}, or leave those sources out of the data",
                licences=" | ".join(sorted(conflicts)),
            ),
        )


def _own_base_data(base: Path) -> Artifact | None:
    """The dataset our own model `base` was pretrained on, where it still lies in the base's
    workspace (`<root>/dataset/<id>`; a model moved elsewhere is checked at release)."""
    dataset_id = load_artifact(base, "model").meta["inputs"].get("dataset")
    folder = base.parent.parent / "dataset" / str(dataset_id)
    return load_artifact(folder, "dataset") if (folder / ARTIFACT_FILE).is_file() else None


def _licence_sources(
    dataset: Artifact, stated: str | None, earlier: list[Artifact] | None = None
) -> dict[str, set[str]]:
    """Each licence of the data the release is trained on, with the sources that carry it
    (`stated`: the fine-tuning data's licence; `earlier`: the fine-tunes before it, whose data
    licences bind it too)."""
    import pyarrow.parquet as pq

    found: dict[str, set[str]] = {}
    for shard in sorted((dataset.path / SHARD_DIR).glob("*.parquet")):
        table = pq.read_table(shard, columns=["license", "source"])
        for licence, source in zip(
            table["license"].to_pylist(), table["source"].to_pylist(), strict=True
        ):
            found.setdefault(licence or "NOASSERTION", set()).add(source or text(_("unknown")))
    if stated:  # said in a refusal: in the person's language
        found.setdefault(stated, set()).add(text(_("fine-tuning data")))
    for before in earlier or []:
        if licence := before.meta["params"].get("data_license"):
            said = text(_("fine-tuning data of {id}", id=before.id))
            found.setdefault(licence, set()).add(said)
    return found


def _earlier_finetunes(tuned: Artifact, model_id: str) -> list[Artifact]:
    """The fine-tunes between the build's model and `tuned`, oldest first, found as the audit
    finds them (`finetune_chain.links_back`): each link must be a whole model fine-tuned from a
    model of ours, and one not found is refused by its id. A chain that ends elsewhere (a
    foreign base, another build's model) is left to `_check_lineage` to refuse."""
    from gemeingut.release.finetune_chain import foreign_base, links_back

    chain: list[Artifact] = []
    hint = _(
        "release from the workspace that holds every fine-tune between the build's model and "
        "the released one"
    )
    for base in links_back(
        tuned, lambda base_id: base_id == model_id or foreign_base(base_id), hint
    ):
        if "dataset" in base.meta["inputs"]:  # a pretrained model: another build's
            break
        if not _own_finetune(base):
            raise InputError(
                _(
                    "{base}, from which {model} was fine-tuned, is not a whole model fine-tuned "
                    "from a gemeingut model",
                    base=base.id,
                    model=(chain[-1] if chain else tuned).id,
                ),
                _(
                    "release only fine-tunes whose every earlier fine-tune is a whole (merged "
                    "or fully trained) model of this build's lineage"
                ),
            )
        chain.append(base)
    return chain[::-1]


def _own_finetune(artifact: Artifact) -> bool:
    """A whole model fine-tuned from a gemeingut model (not an adapter, not pretrained)."""
    from gemeingut.model.base_model import OWN_MODEL
    from gemeingut.model.loading import FINETUNE_FILE, recorded_base

    record = artifact.path / FINETUNE_FILE
    return (
        artifact.kind == "model"
        and record.is_file()
        and recorded_base(record).get("license_source") == OWN_MODEL
    )


def refuse_broken_conditions(conditions: dict[str, list[str]], terms: ReleaseTerms) -> None:
    """Refuse a release that would break a source's use conditions (`violations`), naming each:
    at release for the conditions the curated data holds, and before a build curates for
    those its recipe declares (the same refusal, not after training)."""
    broken = violations(conditions, terms)
    if broken:
        raise InputError(
            _(
                "the release would break the data's use conditions: {broken}",
                broken=joined(broken),
            ),
            _(
                "set release.commercial_use = false or an open release.license, or leave that "
                "source out of the data"
            ),
        )


def _check_lineage(artifacts: dict[str, Artifact], earlier: list[Artifact]) -> None:
    """A bundle must not mix artifacts of different builds: its documents would then lie. A
    fine-tune of a fine-tune: the oldest of its chain (`earlier`) fine-tuned from the model."""
    dataset, tokenizer = artifacts["dataset"], artifacts["tokenizer"]
    model, evaluation = artifacts["model"], artifacts["evaluation"]
    tuned = artifacts.get("finetune")
    released = tuned or model
    expected = [
        (_("model trained on the dataset"), model.meta["inputs"].get("dataset") == dataset.id),
        (
            _("model built with the tokenizer"),
            model.meta["inputs"].get("tokenizer") == tokenizer.id,
        ),
        (
            _("evaluation of the released model"),
            evaluation.meta["inputs"].get("model") == released.id,
        ),
        (_("evaluation on the dataset"), evaluation.meta["inputs"].get("dataset") == dataset.id),
    ]
    if tuned is not None:
        expected.append(
            (
                _("fine-tuned from the model"),
                (earlier or [tuned])[0].meta["inputs"].get("base") == model.id,
            )
        )
        expected.append((_("a whole fine-tuned model"), tuned.kind == "model"))
    optional = {  # role: (what it must be, its input, that input's id)
        "audit": (_("audit of the released model"), "model", released.id),
        "publication": (_("publication of the dataset"), "dataset", dataset.id),
        "gguf": (_("GGUF of the released model"), "model", released.id),
    }
    for role, (what, key, wanted) in optional.items():
        if role in artifacts:
            expected.append((what, artifacts[role].meta["inputs"].get(key) == wanted))
    broken = [text(what) for what, ok in expected if not ok]
    if broken:
        raise InputError(
            _(
                "these artifacts do not belong together; not so: {broken}",
                broken=joined(broken),
            ),
            _("pass the dataset, tokenizer, model, evaluation and audit of one build"),
        )


def _check_finetune_data(tuned: Artifact, terms: ReleaseTerms) -> None:
    """The fine-tuning data is published with the model. A curated dataset passed the licence
    gate document by document, and its use conditions must allow the release; a file or folder
    needs an open `data_license`, with the attribution it asks for (so does a licence stated
    for curated data)."""
    from gemeingut.model.finetune import curated_copies

    for copy in curated_copies(tuned.path):
        stats = json.loads((copy / "stats.json").read_text(encoding="utf-8"))
        broken = violations(stats.get("use_conditions", {}), terms)
        if broken:
            raise InputError(
                _(
                    "the release would break the fine-tuning data's use conditions: {broken}",
                    broken=joined(broken),
                ),
                _(
                    "set release.commercial_use = false or an open release.license, or "
                    "fine-tune on other data"
                ),
            )
    params = tuned.meta["params"]
    stated = params.get("data_license")
    files = [v for k, v in tuned.meta["inputs"].items() if k in ("data", "validation")]
    # All curated and no licence stated: nothing to check. A stated one goes into NOTICE and
    # the card even then, so it must hold up (with its attribution) like a file's.
    if stated is None and not any(v.startswith("sha256:") for v in files):
        return
    decision = decide(stated)
    hint = _(
        "fine-tune with the data's SPDX licence: finetune.data_license in the recipe or "
        "--data-license (with data_attribution and data_url where it asks for attribution)"
    )
    if not decision.admitted:
        raise InputError(
            _("the fine-tuning data cannot be published: {reason}", reason=decision.detail), hint
        )
    if needs_attribution(stated) and not (
        params.get("data_attribution") and params.get("data_url")
    ):
        raise InputError(
            _(
                "the fine-tuning data's licence {licence} asks for attribution, but "
                "finetune.data_attribution or finetune.data_url is missing",
                licence=stated,
            ),
            hint,
        )


def summary(artifacts: dict[str, tuple[Artifact, bool]]) -> dict[str, Any]:
    return {
        kind: {"path": str(a.path), "id": a.id, "reused": reused}
        for kind, (a, reused) in artifacts.items()
    }


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
