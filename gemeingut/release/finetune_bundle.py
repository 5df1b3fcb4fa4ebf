"""The release bundle of a model fine-tuned from a foreign base (Qwen2, Mistral, OLMo …).

Our own pretraining artifacts do not exist for such a model, so its bundle holds what the
fine-tune made and names the rest:
  model/              the fine-tuned model (merged or fully trained), as transformers loads it,
                      and LICENSE: the whole text of its licence where that asks for it, its
                      folder's own or gemeingut's reference text
  base-release/       where the base is the model of one of our release bundles: what the
                      rating reads from that bundle (`openness/base_release.py`)
  base-model/         the base's card, config and licence files and `files.json`, every file
                      of its folder with its sha256 (the base's fingerprint is their hash)
  training-data/finetuning/  the fine-tuning data as given; for a curated dataset with its
                      publication (`release --publication`), its DATA_STATEMENT.md
                      (`finetune_publication.py`)
  training-data/finetuning-earlier/<id>/  for a chain (base → ft1 → … → the released one),
                      each earlier fine-tune's data, by its id
  training-code/      the gemeingut source that ran, requirements.lock, the recipe if given
  training-metadata/  finetune.json, finetune_log.jsonl, lineage.json; for a chain each earlier
                      fine-tune's record and log in finetuning-earlier/<id>/
  audit/              the audit of the fine-tuned model, when one is given
  paper/              the research paper about the fine-tuned model, when one is given
  README.md  card;  NOTICE;  release.json;  openness.json, mof.yml;  bom.cdx.json (CycloneDX
  ML-BOM, the base model a component it depends on), spdx.json (SPDX 3.0.1 AI and Dataset
  profiles, the model a descendant of its base) and AI_ACT_SUMMARY.md (the public summary of
  training content, for the modification);  MANIFEST (+ bundle.sig)
Its rating (`openness/finetune_rating.py`) counts what the base withholds as withheld.

A chain's released record names as `base_model` the foreign base the chain starts from (its
first link's record, which every document and check reads as the bundle's base), and as
`finetuned_from` the fine-tune it was made from, by its id; `lineage.json` keeps every link's
inputs as they were (`finetune_earlier_N`, oldest first), as for a chain on our own model.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gemeingut.data.publish import DATA_STATEMENT_FILE
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, text
from gemeingut.model.base_model import (
    CARD_FILE,
    LICENSE_FILES,
    differing_files,
    files_said,
    listing_fingerprint,
    recorded_listing,
)
from gemeingut.model.finetune import DATA_DIR
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE
from gemeingut.model.pretrain import LOG_FILE
from gemeingut.recipe import ReleaseSection, is_hub_id
from gemeingut.release.audit_command import published_base
from gemeingut.release.bundle import (
    AUDIT_DIR,
    FINETUNE_DATA,
    Copy,
    copied_from,
    copy_audit,
    copy_code,
    copy_earlier,
    copy_model,
    published_audit_report,
    refuse_changed_copies,
    release_info,
)
from gemeingut.release.finetune_card import render_finetune_card
from gemeingut.release.finetune_chain import chained_record
from gemeingut.release.finetune_publication import (
    PUBLICATION,
    copy_statement,
    lineage_record,
)
from gemeingut.release.finetune_record import REVISION, copy_finetune_record
from gemeingut.release.layout import (
    BUNDLE_DIR,
    CARD,
    EARLIER_ROLE,
    FINETUNE_EARLIER,
    MODEL,
    TRAINING_DATA,
    TRAINING_METADATA,
)
from gemeingut.release.manifest import read_manifest, write_manifest
from gemeingut.release.notice import finetune_notice, write_notice_file
from gemeingut.release.openness.data_licence_text import data_licence_files
from gemeingut.release.openness.evidence import TECHNICAL_REPORT, collect
from gemeingut.release.openness.finetune_claims import finetune_claim_problems, finetune_documents
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    BASE_FILES,
    rate_finetune,
)
from gemeingut.release.openness.treatment import REBUILD, recorded_treatment
from gemeingut.release.openness.weights_licence_text import (
    LICENCE_FILE,
    licence_files,
    write_licence_files,
)
from gemeingut.release.openness.write import write_json, write_rating
from gemeingut.release.release_paper import copy_paper
from gemeingut.release.technical_report import render_finetune_report
from gemeingut.release.verify_base_release import record_base_release
from gemeingut.release.verify_statement_rendered import rendered_problems
from gemeingut.workspace import Artifact, write_text_atomic

BASE_COPIES = (CARD_FILE, "config.json", *LICENSE_FILES)


def assemble_finetune_bundle(
    release: ReleaseSection,
    tuned: Artifact,
    base_dir: Path,
    recipe_path: Path | None,
    audit: Artifact | None,
    out_dir: Path,
    earlier: Sequence[Artifact] = (),
    publication: Artifact | None = None,
) -> dict[str, Any]:
    """`earlier`: the fine-tunes between the foreign base and `tuned`, oldest first (a chain);
    `publication`: that of the curated dataset `tuned` was fine-tuned on (the stage checks
    that it is)."""
    bundle = out_dir / BUNDLE_DIR
    metadata = bundle / TRAINING_METADATA
    metadata.mkdir(parents=True)
    copy_finetune_record(tuned.path / FINETUNE_FILE, metadata / FINETUNE_FILE)
    copies = _copy_earlier(earlier, bundle) if earlier else []
    base = name_base(metadata / FINETUNE_FILE, release.base_hub_id)
    adapter = (tuned.path / ADAPTER_CONFIG).is_file()
    if adapter:
        check_adapter_base(base)
    write_base_evidence(base_dir, bundle / BASE_DIR, base["fingerprint"], base.get("files"))
    record_base_release(base_dir, bundle)  # a release of ours: what its bundle evidences
    copy_model(tuned.path, bundle / MODEL)  # with its own LICENSE, where it has one
    in_folder = (tuned.path / LICENCE_FILE).is_file()
    write_licence_files(bundle, licence_files(release.license, release.authors, None, in_folder))
    if adapter:  # peft loads the base by this name, at this revision where the record has one
        config = json.loads((bundle / MODEL / ADAPTER_CONFIG).read_text(encoding="utf-8"))
        named = {"base_model_name_or_path": base["path"]}
        if REVISION in base:  # a fine-tune from before adapters kept it (2026-12-06)
            named[REVISION] = base[REVISION]
        write_json(bundle / MODEL / ADAPTER_CONFIG, config | named)
    shutil.copytree(tuned.path / DATA_DIR, bundle / TRAINING_DATA / FINETUNE_DATA)
    if publication is not None:  # the data card of the fine-tuning data
        statement = copy_statement(publication, bundle)
        copies += copied_from(
            publication, publication.path / DATA_STATEMENT_FILE, statement, bundle
        )
    copy_code(recipe_path, bundle / "training-code")
    shutil.copy2(tuned.path / LOG_FILE, metadata / "finetune_log.jsonl")
    lineage: dict[str, Any] = {
        **{f"{EARLIER_ROLE}_{n}": before.meta for n, before in enumerate(earlier, 1)},
        "finetune": tuned.meta,
        **({PUBLICATION: lineage_record(publication)} if publication is not None else {}),
    }
    # an adapter's base in the audit's lm_eval command: as the bundle's adapter names it
    published = published_base(bundle / MODEL)
    if audit is not None:  # the audited folder named as the bundle's model, as in bundle.py
        stats = published_audit_report(audit.meta.get("stats", {}), published)
        lineage["audit"] = {**audit.meta, "stats": stats}
    write_json(metadata / "lineage.json", lineage)
    write_licence_files(bundle, data_licence_files(collect(bundle)))  # its licence: in the lineage
    if audit is not None:
        copy_audit(audit.path, bundle / AUDIT_DIR, published)
    stated = {"base_hub_id": release.base_hub_id} if release.base_hub_id else {}
    treatment = recorded_treatment(metadata / FINETUNE_FILE, REBUILD)
    info = release_info(release, treatment) | {"base_model": base["path"]} | stated
    write_json(bundle / "release.json", info)
    attributions = write_notice_file(bundle, finetune_notice(bundle))
    copy_paper(release.paper, bundle)  # about the fine-tuned model: rated as its own paper
    # The technical report is written from the records alone, before the rating that counts
    # it as the fine-tune's own; the rating counts the card it is about to get.
    write_text_atomic(bundle / TECHNICAL_REPORT, render_finetune_report(bundle))
    rating = rate_finetune(collect(bundle, expected=frozenset({CARD})))
    (bundle / CARD).write_text(render_finetune_card(bundle, rating), encoding="utf-8")
    write_rating(bundle, rating)
    for name, render in finetune_documents(bundle, collect(bundle), rating).items():
        if name != TECHNICAL_REPORT:  # written above
            write_text_atomic(bundle / name, render())
    written = write_manifest(bundle)
    refuse_changed_copies(copies, read_manifest(bundle))  # an earlier link's data or log
    problems = finetune_claim_problems(bundle, collect(bundle), rating)
    problems += rendered_problems(bundle, read_manifest(bundle), set())  # the data statement
    if problems:
        said = "; ".join(text(problem, "en") for problem in problems)
        raise RuntimeError(f"the new bundle {bundle} fails its own checks: {said}")
    return {
        "files": written,
        "attributions": attributions,
        "bundle": BUNDLE_DIR,
        "open": rating["open"],
        "mof_class": rating["mof"]["label"],
        "osaid": rating["osaid"]["passed"],
    }


def _copy_earlier(earlier: Sequence[Artifact], bundle: Path) -> list[Copy]:
    """Each earlier link's data, record and log in its own folder by its id, as a chain on our
    own model has them (`copy_earlier`); the released record then names the chain's foreign
    base (the first link's) as its `base_model`, and its own base as `finetuned_from`. Returns
    the copies of files their artifacts hashed, to be compared once the MANIFEST is written."""
    metadata = bundle / TRAINING_METADATA
    copies = copy_earlier(earlier, bundle)
    first = json.loads(
        (metadata / FINETUNE_EARLIER / earlier[0].id / FINETUNE_FILE).read_text("utf-8")
    )
    released = json.loads((metadata / FINETUNE_FILE).read_text(encoding="utf-8"))
    write_json(metadata / FINETUNE_FILE, chained_record(released, first))
    return copies


def name_base(record_file: Path, hub_id: str | None) -> dict[str, Any]:
    """The published record's base, named by `hub_id` where the release states one (the card's
    `base_model` and the adapter's base follow it); returns that base."""
    record = json.loads(record_file.read_text(encoding="utf-8"))
    if hub_id:
        record["base_model"]["path"] = hub_id
        write_json(record_file, record)  # replaced whole: never a half-written record
    return record["base_model"]


def check_adapter_base(base: dict[str, Any]) -> None:
    """peft (`AutoPeftModelForCausalLM`) loads an adapter's base by the name its config gives:
    a Hub id resolves anywhere, a folder on this machine nowhere else (and is not published),
    and the base's weights are not in the bundle; so a released adapter needs its base's Hub
    id."""
    if not is_hub_id(base["path"]):
        raise InputError(
            _(
                "the LoRA adapter's base {base} has no Hugging Face Hub id: peft could not find "
                "the base of the released adapter (its weights are not in the bundle)",
                base=base["path"],
            ),
            _(
                "name the base's Hub id with --base-hub-id ORG/NAME (release.base_hub_id in a "
                "recipe), or fine-tune with --merge to release a standalone model"
            ),
        )


def write_base_evidence(
    base_dir: Path, target: Path, fingerprint: str, recorded: dict[str, str] | None = None
) -> None:
    """The base's card, config and licence files and the list of all its files: the same
    folder the fine-tune started from (its fingerprint must match), or a clear error that
    names the files that differ from those the fine-tuning `recorded` (where it kept them)."""
    if not base_dir.is_dir():
        raise InputError(
            _("the base model folder {path} is not there", path=str(base_dir)),
            _("pass the folder the model was fine-tuned from with --base"),
        )
    listing = recorded_listing(base_dir, fingerprint)
    if listing_fingerprint(listing) != fingerprint:
        raise InputError(
            _not_the_base(base_dir, fingerprint, listing, recorded),
            _("pass the unchanged folder the model was fine-tuned from with --base"),
        )
    target.mkdir(parents=True)
    for name in BASE_COPIES:
        if (base_dir / name).is_file():
            shutil.copy2(base_dir / name, target / name)
    write_json(target / BASE_FILES, listing)


def _not_the_base(
    base_dir: Path, fingerprint: str, listing: dict[str, str], recorded: dict[str, str] | None
) -> Message:
    """Why `base_dir` is not the base: the files that differ from the record's list, or, for a
    record that kept only the fingerprint (an older fine-tune), that fingerprint."""
    differing = differing_files(listing, recorded) if recorded else []
    if not differing:
        return _(
            "{path} is not the base model the fine-tune started from (its files differ from "
            "the fingerprint {fingerprint})",
            path=str(base_dir),
            fingerprint=fingerprint,
        )
    named = {"path": str(base_dir), "files": files_said(differing), "record": FINETUNE_FILE}
    return plural(
        len(differing),
        _(
            "{path} is not the base model the fine-tune started from: {files} differs from "
            "the file its {record} lists (changed, added or missing)",
            **named,
        ),
        _(
            "{path} is not the base model the fine-tune started from: {files} differ from "
            "the files its {record} lists (changed, added or missing)",
            **named,
        ),
    )
