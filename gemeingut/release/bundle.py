"""Assemble a release bundle: the five open artifacts, the documents written from them, the
openness rating and the MANIFEST.

Layout (inside `<release artifact>/bundle/`):
  model/              Hugging Face directory (config, safetensors, tokenizer, generation
                      config), when the build exports one, model.gguf, and LICENSE: the
                      whole text of the weights' licence where that asks for it, the
                      releaser's (release.license_file) or gemeingut's reference text
                      (`openness/weights_licence_text.py`)
  training-data/      train and validation shards, data stats, excluded/exclusions.parquet,
                      with [data.publication] DATA_STATEMENT.md, croissant.json and dcat.ttl
                      (their hashes are checked against MANIFEST), under finetuning/
                      the fine-tuning data when the released model was fine-tuned (under
                      finetuning-earlier/<id>/ each earlier fine-tune's, for a fine-tune of a
                      fine-tune), and in
                      LICENSES/ the text of each licence of its documents that asks for it
                      (MIT, Apache-2.0, BSD: `openness/data_licence_text.py`)
  test-data/          test shards, and LICENSES/ as in training-data/
  training-code/      the gemeingut source that ran, requirements.lock, the recipe
  training-metadata/  hyper-parameters, training log, data order, weight snapshots
                      (checkpoints/), evaluation results, lineage of every id, and each
                      earlier fine-tune's record and log in finetuning-earlier/<id>/
  audit/              the audit of the released model (when the build ran one): reports in
                      German and English, report.json, plots, per-item logs, the lm-eval task
                      folder and garak-format red-team report
  paper/              the research paper named in the recipe
  README.md           model card;  TECHNICAL_REPORT.md;  NOTICE  attributions (all three
                      rendered from the files above, so `verify` renders them again)
  release.json        declared name, description and licences
  openness.json, mof.yml  the rating
  MANIFEST            sha256 of every file;  bundle.sig  the signature, when signed
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import gemeingut
from gemeingut.audit.report import REPORT_JSON
from gemeingut.data.publish import CROISSANT_FILE, DCAT_FILE
from gemeingut.data.publish.croissant import relocated
from gemeingut.data.publish.facts import EXCLUSIONS_FILE
from gemeingut.data.shards import SHARD_DIR
from gemeingut.data.splits import SPLITS
from gemeingut.errors import InputError
from gemeingut.evaluate.perplexity import RESULTS_FILE
from gemeingut.i18n import Message, _, plural, text
from gemeingut.model.data_order import ORDER_DIR
from gemeingut.model.export import GGUF_FILE
from gemeingut.model.finetune import DATA_DIR
from gemeingut.model.loading import FINETUNE_FILE
from gemeingut.model.pretrain import CHECKPOINT_DIR, LOG_FILE, METADATA_FILE
from gemeingut.model.run_state import SNAPSHOT_DIR
from gemeingut.recipe import ReleaseSection
from gemeingut.release.audit_command import published_command
from gemeingut.release.card import render_card
from gemeingut.release.finetune_record import copy_finetune_record
from gemeingut.release.layout import (
    BUNDLE_DIR,
    CARD,
    EARLIER_ROLE,
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    RELEASE_INFO,
    TEST_DATA,
    TRAINING_DATA,
    TRAINING_METADATA,
)
from gemeingut.release.licence_given import check_release_licence
from gemeingut.release.manifest import MANIFEST, SIGNATURE, read_manifest, write_manifest
from gemeingut.release.notice import release_notice, write_notice_file
from gemeingut.release.openness.claims import claim_problems
from gemeingut.release.openness.data_licence_text import data_licence_files
from gemeingut.release.openness.derived import write_derived
from gemeingut.release.openness.evidence import (
    CHECKPOINTS,
    DATA_STATEMENT,
    LOCKFILE,
    TECHNICAL_REPORT,
    collect,
)
from gemeingut.release.openness.rating import rate
from gemeingut.release.openness.treatment import PRE_TRAINED, REBUILD, recorded_treatment
from gemeingut.release.openness.weights_licence_text import (
    licence_files,
    publication_year,
    write_licence_files,
)
from gemeingut.release.openness.write import write_json, write_rating
from gemeingut.release.release_paper import copy_paper
from gemeingut.release.technical_report import render_technical_report
from gemeingut.workspace import ARTIFACT_FILE, Artifact

AUDIT_DIR = "audit"
BUNDLE_MODEL_FROM_AUDIT = "../model"
EXCLUDED_DIR = "excluded"
_SHOWN_CHANGED = 5
_NOT_MODEL_FILES = {ARTIFACT_FILE, LOG_FILE, METADATA_FILE, FINETUNE_FILE, CHECKPOINT_DIR}


def assemble_bundle(
    release: ReleaseSection,
    recipe_path: Path | None,
    artifacts: dict[str, Artifact],
    out_dir: Path,
    earlier: Sequence[Artifact] = (),
) -> dict[str, Any]:
    """`artifacts`: dataset, tokenizer, model, evaluation and, for a fine-tuned release,
    finetune (the model released instead of the pretrained one); `earlier`: the fine-tunes
    between the model and it, oldest first (a fine-tune of a fine-tune)."""
    dataset, tuned = artifacts["dataset"], artifacts.get("finetune")
    released = tuned or artifacts["model"]
    own = check_release_licence(release, released.path, "release.license_file")
    bundle = out_dir / BUNDLE_DIR
    copy_model(released.path, bundle / "model")
    published = artifacts.get("publication")
    year = publication_year(published.meta.get("params") if published else None)
    licences = licence_files(release.license, release.authors, own, False, year)
    copies = [  # a LICENSE of the model's folder is replaced by the release's
        copy
        for copy in copied_from(released, released.path, bundle / "model", bundle)
        if copy.bundle_path not in licences
    ]
    write_licence_files(bundle, licences)
    if "gguf" in artifacts:  # for llama.cpp and Ollama, beside the transformers weights
        gguf = artifacts["gguf"].path / GGUF_FILE
        shutil.copy2(gguf, bundle / "model" / GGUF_FILE)
        copies += copied_from(artifacts["gguf"], gguf, bundle / "model" / GGUF_FILE, bundle)
    copies += _copy_data(dataset, bundle)
    if tuned is not None and (tuned.path / DATA_DIR).is_dir():
        copied = bundle / TRAINING_DATA / FINETUNE_DATA
        shutil.copytree(tuned.path / DATA_DIR, copied)
        copies += copied_from(tuned, tuned.path / DATA_DIR, copied, bundle)
    copy_code(recipe_path, bundle / "training-code")
    copies += _copy_metadata(artifacts, bundle / "training-metadata", earlier)
    copies += copy_earlier(earlier, bundle)
    # the licences the shards and the fine-tuning data carry (its licence: in the lineage)
    write_licence_files(bundle, data_licence_files(collect(bundle)))
    if "audit" in artifacts:
        copy_audit(artifacts["audit"].path, bundle / AUDIT_DIR)
    if "publication" in artifacts:  # the data card, and the data's metadata for portals
        published = artifacts["publication"].path
        for name in (DATA_STATEMENT, DCAT_FILE):
            shutil.copy2(published / name, bundle / TRAINING_DATA / name)
            copies += copied_from(
                artifacts["publication"], published / name, bundle / TRAINING_DATA / name, bundle
            )
        write_bundle_croissant(published / CROISSANT_FILE, bundle / TRAINING_DATA)
    treatment = recorded_treatment(tuned.path / FINETUNE_FILE, REBUILD) if tuned else PRE_TRAINED
    write_json(bundle / RELEASE_INFO, release_info(release, treatment))
    attributions = write_notice_file(bundle, release_notice(bundle))
    copy_paper(release.paper, bundle)
    (bundle / TECHNICAL_REPORT).write_text(render_technical_report(bundle), encoding="utf-8")
    # The card says what the rating found, and the rating counts the card it is about to get.
    rating = rate(collect(bundle, expected=frozenset({CARD})))
    (bundle / CARD).write_text(render_card(bundle, rating), encoding="utf-8")
    write_rating(bundle, rating)
    write_derived(bundle, collect(bundle), rating)
    files = write_manifest(bundle)
    # before the checks of the documents: a changed shard would fail them as a bug of ours
    refuse_changed_copies(copies, read_manifest(bundle))
    _self_check(bundle)
    return {
        "files": files,
        "attributions": attributions,
        "bundle": BUNDLE_DIR,
        "open": rating["open"],
        "mof_class": rating["mof"]["label"],
        "osaid": rating["osaid"]["passed"],
    }


def published_digests(out_dir: Path) -> dict[str, str]:
    """The digests the bundle's MANIFEST took of its files, named as the release's artifact.json
    lists them: `materialize` takes them instead of reading each file (the weights, every
    shard) a second time. Taken of the copies in the release's own folder once the bundle was
    written, not of their sources: what was checked is what is listed."""
    manifest = read_manifest(out_dir / BUNDLE_DIR)
    return {f"{BUNDLE_DIR}/{rel}": f"sha256:{digest}" for rel, digest in manifest.items()}


def write_bundle_croissant(source: Path, training_data: Path) -> None:
    """croissant.json with the bundle's paths, so that `mlcroissant` reads the records from the
    bundle: train and validation shards beside it, test shards in ../test-data/, the
    exclusion records in excluded/."""
    document = json.loads(source.read_text(encoding="utf-8"))
    place = {}
    for item in document["distribution"]:
        if "contentUrl" in item:
            name = PurePosixPath(item["contentUrl"]).name
            if name == EXCLUSIONS_FILE:
                place[item["contentUrl"]] = f"{EXCLUDED_DIR}/{name}"
            elif name.startswith("test-"):
                place[item["contentUrl"]] = f"../{TEST_DATA}/{name}"
            else:
                place[item["contentUrl"]] = name
    write_json(training_data / CROISSANT_FILE, relocated(document, place))


def _self_check(bundle: Path) -> None:
    """What `verify` will check, checked before the bundle is handed out: a release whose own
    documents disagree with its files is a bug here, never something for users to find."""
    from gemeingut.release.verify_statement_rendered import rendered_problems

    evidence = collect(bundle)
    problems = claim_problems(bundle, evidence, rate(evidence))
    problems += rendered_problems(bundle, read_manifest(bundle), set())  # the data statement
    if problems:
        said = "; ".join(text(problem, "en") for problem in problems)
        raise RuntimeError(f"the new bundle {bundle} fails its own checks: {said}")


def release_info(release: ReleaseSection, treatment: str) -> dict[str, Any]:
    """What the publisher declares: the name, the description and the licences of weights and
    documents (the code's and the data's licences are read from the code and the shards, not
    declared), and the treatment computed from the fine-tune's record (`treatment.py`). The
    card is rendered from this and the other files, so `verify` renders it again."""
    return {
        "name": release.model_name,
        "description": "\n".join(release.description.splitlines()),  # one kind of line end
        "licenses": {"weights": release.license, "documents": release.documents_license},
        "languages": release.languages,
        "document_language": release.document_language,
        # The technical report and AI Act summary follow it too (before, they were English).
        "report_language": release.document_language,
        "authors": release.authors,
        # only when given: a bundle without it is what it was before the setting existed
        **({"contact": release.contact.strip()} if release.contact.strip() else {}),
        "commercial_use": release.commercial_use,
        "treatment": treatment,
    }


def copy_audit(audit_dir: Path, target: Path, base: str | None = None) -> None:
    """The audit's documents and item logs; its lineage is in lineage.json, and lm-eval's
    request cache and Python's bytecode of the tasks' loader (written where the audit ran
    without PYTHONDONTWRITEBYTECODE, naming the building machine's folder) are working files,
    not results. The audited folder is named as the bundle's model, seen from audit/ (where
    the recorded lm_eval command runs): the folder on the building machine means nothing
    elsewhere and may tell its user name or layout. `base`: how the bundle names its
    adapter's base (`published_base`), as for the lineage's copy of the report."""
    shutil.copytree(
        audit_dir,
        target,
        # the folder's own MANIFEST and signature (`audit run --out`): the bundle's cover it
        ignore=shutil.ignore_patterns(
            ARTIFACT_FILE, ".lm_eval_cache*", "__pycache__", MANIFEST, SIGNATURE
        ),
    )
    report = json.loads((target / REPORT_JSON).read_text(encoding="utf-8"))
    local = report.get("model", {}).get("path")
    if not local:  # an endpoint's audit names its URL, nothing on this machine
        return
    published = published_audit_report(report, base)
    write_json(target / REPORT_JSON, published)
    recorded, command = _lm_eval_command(report), _lm_eval_command(published)
    for written in sorted(target.glob("report.*.md")):
        document = written.read_text(encoding="utf-8")
        if recorded and command:
            document = document.replace(recorded, command)
        header = f"`{local}`"  # the quoted folder of the reports' header
        document = document.replace(header, f"`{BUNDLE_MODEL_FROM_AUDIT}`")
        written.write_text(document, encoding="utf-8")


def published_audit_report(report: dict[str, Any], base: str | None = None) -> dict[str, Any]:
    """`report` with the audited model's local folder replaced by the bundle's ../model, in
    its recorded lm_eval command too (`audit_command.py`: an adapter's base by `base`)."""
    local = report.get("model", {}).get("path")
    if not local:
        return report
    published = deepcopy(report)
    published["model"]["path"] = BUNDLE_MODEL_FROM_AUDIT
    lm_eval = (published.get("tasks") or {}).get("lm_eval")
    if isinstance(lm_eval, dict) and isinstance(lm_eval.get("command"), str):
        lm_eval["command"] = published_command(
            lm_eval["command"], local, BUNDLE_MODEL_FROM_AUDIT, base
        )
    return published


def _lm_eval_command(report: dict[str, Any]) -> str | None:
    lm_eval = (report.get("tasks") or {}).get("lm_eval")
    return lm_eval.get("command") if isinstance(lm_eval, dict) else None


def copy_model(model_dir: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for item in sorted(model_dir.iterdir()):
        if item.name not in _NOT_MODEL_FILES and item.is_file():
            shutil.copy2(item, target / item.name)


@dataclass(frozen=True)
class Copy:
    """A file of the bundle copied from an artifact, which recorded the source's sha256."""

    bundle_path: str
    artifact: Artifact
    source: str  # relative to the artifact's folder, as its artifact.json names it


def copied_from(artifact: Artifact, source: Path, copy: Path, bundle: Path) -> list[Copy]:
    """Each file of `copy`, just copied from `source` (a file or folder) in `artifact`."""
    files = [copy] if copy.is_file() else sorted(p for p in copy.rglob("*") if p.is_file())
    return [
        Copy(
            file.relative_to(bundle).as_posix(),
            artifact,
            (source / file.relative_to(copy)).relative_to(artifact.path).as_posix(),
        )
        for file in files
    ]


def refuse_changed_copies(
    copies: list[Copy], manifest: dict[str, str], hint: Message | None = None
) -> None:
    """Each copy by its MANIFEST digest against the digest its artifact recorded: a file
    changed since (a shard edited after curation, weights after training) would be published
    as if the model had been made from it. No file is read again. `hint`: what to do, where
    the copies are of one kind."""
    changed = [
        copy.artifact.path / copy.source
        for copy in copies
        if (recorded := copy.artifact.meta.get("files", {}).get(copy.source)) is not None
        and recorded != "sha256:" + manifest[copy.bundle_path]
    ]
    if not changed:
        return
    files: str | Message = ", ".join(str(path) for path in changed[:_SHOWN_CHANGED])
    if len(changed) > _SHOWN_CHANGED:
        more = str(len(changed) - _SHOWN_CHANGED)
        files = _("{files} and {count} more", files=files, count=more)
    raise InputError(
        plural(
            len(changed),
            _(
                "a file changed after its artifact recorded it, and the release would publish "
                "it under that artifact's id: {files}",
                files=files,
            ),
            _(
                "{count} files changed after their artifacts recorded them, and the release "
                "would publish them under those artifacts' ids: {files}",
                count=str(len(changed)),
                files=files,
            ),
        ),
        hint
        or _(
            "restore each file (its sha256 is in the artifact.json of its artifact), or make "
            "its artifact and those after it anew (changed training data: gemeingut build, "
            "which curates, trains and evaluates again)"
        ),
    )


def _copy_data(dataset: Artifact, bundle: Path) -> list[Copy]:
    """Copies the dataset's shards and records; returns what was copied from where."""
    pairs = []
    for split in SPLITS:
        folder = bundle / ("test-data" if split == "test" else "training-data")
        folder.mkdir(parents=True, exist_ok=True)
        for shard in sorted((dataset.path / SHARD_DIR).glob(f"{split}-*.parquet")):
            pairs.append((shard, folder / shard.name))
    for name in ("stats.json", "manifest.json"):  # with the shards: the dataset artifact again
        pairs.append((dataset.path / name, bundle / TRAINING_DATA / name))
    # Beside the shards, `load_dataset("parquet", data_files="training-data/*.parquet")` would
    # read the exclusion records as documents.
    (bundle / TRAINING_DATA / EXCLUDED_DIR).mkdir()
    excluded = bundle / TRAINING_DATA / EXCLUDED_DIR / EXCLUSIONS_FILE
    pairs.append((dataset.path / EXCLUSIONS_FILE, excluded))
    copies = []
    for source, copy in pairs:
        shutil.copy2(source, copy)
        copies += copied_from(dataset, source, copy, bundle)
    return copies


def copy_code(recipe_path: Path | None, target: Path) -> None:
    """The exact source that ran (the package directory), plus pyproject and the recipe."""
    package = Path(gemeingut.__file__).resolve().parent
    shutil.copytree(
        package, target / "gemeingut", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    project = package.parent
    for name in ("pyproject.toml", "LICENSE"):
        if (project / name).is_file():
            shutil.copy2(project / name, target / name)
    if recipe_path is not None:
        shutil.copy2(recipe_path, target / "recipe.toml")
    (target / LOCKFILE).write_text(lockfile(), encoding="utf-8")


def lockfile() -> str:
    """The exact version of every installed distribution, in pip's `name==version` form."""
    versions = {
        dist.metadata["Name"]: dist.version
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }
    header = f"# Python {platform.python_version()}; installed when this release was built\n"
    return header + "".join(
        f"{name}=={versions[name]}\n" for name in sorted(versions, key=str.lower)
    )


def _copy_metadata(
    artifacts: dict[str, Artifact], target: Path, earlier: Sequence[Artifact]
) -> list[Copy]:
    """Copies the training's records and snapshots; returns what was copied from where (the
    fine-tunes' records are rewritten, the lineage written here)."""
    target.mkdir(parents=True)
    model, tuned = artifacts["model"], artifacts.get("finetune")
    pairs = [(model, model.path / name, target / name) for name in (METADATA_FILE, LOG_FILE)]
    if tuned is not None:
        copy_finetune_record(tuned.path / FINETUNE_FILE, target / FINETUNE_FILE)
        pairs.append((tuned, tuned.path / LOG_FILE, target / "finetune_log.jsonl"))
    evaluation = artifacts["evaluation"]
    pairs.append((evaluation, evaluation.path / RESULTS_FILE, target / "evaluation.json"))
    for _artifact, source, copy in pairs:
        shutil.copy2(source, copy)
    if (model.path / ORDER_DIR).is_dir():  # which windows each step saw: the replayable order
        shutil.copytree(model.path / ORDER_DIR, target / ORDER_DIR)
        pairs.append((model, model.path / ORDER_DIR, target / ORDER_DIR))
    if (model.path / SNAPSHOT_DIR).is_dir():  # the pretraining's weights along the way
        shutil.copytree(
            model.path / SNAPSHOT_DIR, target / CHECKPOINTS, ignore=shutil.ignore_patterns(".*")
        )
        pairs.append((model, model.path / SNAPSHOT_DIR, target / CHECKPOINTS))
    bundle = target.parent
    copies = [copy for a, source, to in pairs for copy in copied_from(a, source, to, bundle)]
    lineage: dict[str, Any] = {}
    for role, artifact in artifacts.items():
        if role == "finetune":  # the chain in its order, the released fine-tune last
            for number, before in enumerate(earlier, 1):
                lineage[f"{EARLIER_ROLE}_{number}"] = before.meta
        lineage[role] = artifact.meta
    if "audit" in lineage:
        audit = lineage["audit"]
        lineage["audit"] = {**audit, "stats": published_audit_report(audit.get("stats", {}))}
    (target / "lineage.json").write_text(json.dumps(lineage, indent=2, ensure_ascii=False) + "\n")
    return copies


def copy_earlier(earlier: Sequence[Artifact], bundle: Path) -> list[Copy]:
    """Each earlier fine-tune of a chain in folders of its own by its id: its data (each its
    own source, not part of finetuning/), its record and its log. Returns the copies of files
    their artifacts hashed, to be compared once the MANIFEST is written."""
    copies: list[Copy] = []
    for before in earlier:
        records = bundle / TRAINING_METADATA / FINETUNE_EARLIER / before.id
        records.mkdir(parents=True)
        copy_finetune_record(before.path / FINETUNE_FILE, records / FINETUNE_FILE)
        log = records / "finetune_log.jsonl"
        shutil.copy2(before.path / LOG_FILE, log)
        copies += copied_from(before, before.path / LOG_FILE, log, bundle)
        if (before.path / DATA_DIR).is_dir():
            data = bundle / TRAINING_DATA / FINETUNE_EARLIER / before.id
            shutil.copytree(before.path / DATA_DIR, data)
            copies += copied_from(before, before.path / DATA_DIR, data, bundle)
    return copies
