"""`gemeingut reproduce` for the bundle of a model fine-tuned from a foreign base.

The base's weights are not in such a bundle (they are its publisher's to publish), so the
reproducer names a folder holding them (`--base`; for one of our releases also its release
folder or bundle, whose model folder is meant); it must hold exactly the files that
`base-model/files.json` lists, checked before anything runs. The fine-tuning data is the
bundle's `training-data/finetuning/`; a curated dataset is put together again from its shards
and its record there (`dataset.json`: id, lineage, the hash of every file). The bundle's own
code (`training-code/`) then fine-tunes again with the settings the lineage records
(`rebuild_finetune.py`), audits it again with the settings its audit recorded where the bundle
holds one, and releases again with those of `release.json`; the fine-tune and audit artifacts
and the bundle are compared as for a recipe's release, the same declared fields of time and
machine aside.

A chain (base → ft1 → … → the released one, `finetune_bundle.py`) is made again link by link on
the base given, each earlier link from its data and record in its own folder, and each earlier
fine-tune is compared by its id as well.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from gemeingut.data.shards import CURATED_DIR, DATASET_RECORD
from gemeingut.errors import InputError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import _, plural, text
from gemeingut.model.base_model import (
    bookkeeping,
    differing_files,
    files_said,
    listing_fingerprint,
    recorded_listing,
)
from gemeingut.model.finetune_base_folder import base_model_folder
from gemeingut.release.layout import (
    AUDIT,
    BUNDLE_DIR,
    RELEASE_INFO,
    TRAINING_CODE,
    TRAINING_DATA,
    TRAINING_METADATA,
    earlier_roles,
    finetune_data_folder,
)
from gemeingut.release.openness.chain_runs import earlier_record
from gemeingut.release.openness.finetune_rating import (
    BASE_DIR,
    BASE_FILES,
    FINETUNE_RECORD,
    base_listing,
    base_record,
)
from gemeingut.release.reproduce import (
    OWN_AUDIT_FILES,
    Comparison,
    Stages,
    _say,
    compare_artifact,
    compare_bundles,
    run_own_code,
)
from gemeingut.release.reproduce_base import base_as_recorded, kept_for, release_unchecked
from gemeingut.stage_names import stage_name
from gemeingut.workspace import ARTIFACT_FILE, artifact_id

FINETUNING = f"{TRAINING_DATA}/finetuning"
NOT_AN_OBJECT = _("not a JSON object")


def reproduce_finetune(
    bundle: Path,
    lineage: dict[str, Any],
    root: Path,
    base: Path | None,
    python: str = sys.executable,
) -> list[Comparison]:
    if base is None:
        raise InputError(
            _(
                "{bundle} is a fine-tune of a foreign base, whose weights it does not hold",
                bundle=bundle,
            ),
            _(
                "pass the base model's folder with --base (its files are listed in {listing})",
                listing=f"{BASE_DIR}/{BASE_FILES}",
            ),
        )
    audit = audit_job(bundle, lineage["audit"]) if "audit" in lineage else None
    base = base_model_folder(base)  # one of our releases (folder or bundle): its model folder
    _check_base(bundle, base)
    earlier = earlier_roles(lineage)  # a chain's links before the released one, oldest first
    if earlier:  # said before anything is written, as for a chain on our model
        from gemeingut.release.reproduce_chain import refuse_other_code

        refuse_other_code(bundle, lineage)
    tuned = lineage["finetune"]
    data, validation = stage_data(bundle, tuned, root / "data", root / "workspace")
    links = [
        link_job(bundle, role, lineage[role], root / "data", root / "workspace") for role in earlier
    ]
    if not (bundle / TRAINING_CODE / "gemeingut" / "release" / "rebuild_finetune.py").is_file():
        raise InputError(
            _("{bundle} was made by a gemeingut too old to rebuild a fine-tune", bundle=bundle),
            _("`gemeingut verify` still checks its files and claims"),
        )
    code = root / "code"
    shutil.copytree(bundle / TRAINING_CODE, code)
    recipe = bundle / TRAINING_CODE / "recipe.toml"
    # the same files under the name the fine-tune recorded (`reproduce_base.py`)
    given = base_as_recorded(bundle, base.resolve(), root).resolve()
    unchecked = release_unchecked(bundle, base, given, root)
    if unchecked is not None:  # of the base's release: said before the rebuild, not after
        _say(unchecked)
    job = {
        "workspace": str(root / "workspace"),
        "base": str(given),
        "data": str(data),
        "validation": str(validation) if validation else None,
        "finetune": tuned["params"],
        "finetune_license": finetune_licence(bundle),
        "release": release_settings(bundle) | _paper_setting(bundle),
        "recipe": str(recipe) if recipe.is_file() else None,
        "audit": audit,
        # the data statement of the fine-tuning data, published again from its settings
        "publication": (lineage.get("publication") or {}).get("params"),
    }
    if links:  # a chain: each link on the one before, under the name its successor recorded
        for link, role in zip(links[1:], earlier[1:], strict=True):
            link["base_name"] = _recorded_name(
                bundle, earlier_record(lineage[role]["id"]), "base_model"
            )
        job |= {
            "earlier": links,
            "finetune_base_name": _recorded_name(bundle, FINETUNE_RECORD, "finetuned_from"),
        }
    job_file = root / "job.json"
    job_file.write_text(json.dumps(job, indent=2), encoding="utf-8")
    tuning = stage_name("finetune")
    stages = Stages(
        ["finetune"] * (len(links) + 1)
        + (["audit"] if audit is not None else [])
        + (["publication"] if job["publication"] else [])
        + ["release"],
        labels={n: f"{tuning} {made['id']}" for n, made in enumerate([*links, tuned])}
        if links
        else {},
    )
    stages.start()  # a snapshot from before rebuild_finetune named its stages names the first
    rebuilt = run_own_code(
        ["-m", "gemeingut.release.rebuild_finetune", str(job_file)],
        code,
        root,
        stages,
        python,
        kept_for(given, root),
    )
    if audit is not None and "audit" not in rebuilt:
        raise InputError(
            _(
                "{bundle} was made by a gemeingut too old to run a fine-tune's audit again",
                bundle=bundle,
            ),
            _("`gemeingut verify --rerun N` scores a sample of the audit again"),
        )
    reused = [role for role, entry in rebuilt.items() if entry.get("reused")]
    if reused:  # a fresh folder holds nothing: anything reused was not rebuilt
        raise InputError(
            _(
                "the rebuild reused {artifacts} instead of building them",
                artifacts=", ".join(reused),
            ),
            _("use a new folder"),
        )
    roles = [*earlier, "finetune", *(["audit"] if audit is not None else [])]
    return [
        *(
            compare_artifact(
                role,
                {**lineage[role], "_role": role, "_bundle": bundle},
                root / "workspace",
                rebuilt,
            )
            for role in roles
        ),
        compare_bundles(bundle, Path(rebuilt["release"]["path"]) / BUNDLE_DIR),
    ]


def link_job(
    bundle: Path, role: str, meta: dict[str, Any], data: Path, workspace: Path
) -> dict[str, Any]:
    """How one fine-tune of a chain is made again: its settings and licence as recorded, on
    its data from the bundle (an earlier one's in its own folder)."""
    copy = finetune_data_folder(role, meta)
    record = FINETUNE_RECORD if role == "finetune" else earlier_record(meta["id"])
    staged, validation = stage_data(bundle, meta, data / meta["id"], workspace, copy, record)
    return {
        "role": role,
        "id": meta["id"],
        "params": meta["params"],
        "data": str(staged),
        "validation": str(validation) if validation else None,
        "license": finetune_licence(bundle, record),
    }


def _recorded_name(bundle: Path, record: str, key: str) -> str | None:
    """The name a link's record (`record`, in the bundle) keeps for the model it was
    fine-tuned from, under `key`."""
    base = _json_object(bundle, bundle / record).get(key)
    return str(base.get("name") or "") or None if isinstance(base, dict) else None


def audit_job(
    bundle: Path, audit: dict[str, Any], held: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """How the audit of the fine-tune runs again: its recorded settings, the model's name and
    the command its report shows. Suites or findings of the auditor's own are not in the
    bundle, so such an audit cannot run again from it; `held`: the inputs of those names are
    documents the bundle holds all the same."""
    own = sorted(set(audit.get("inputs", {})) & set(OWN_AUDIT_FILES) - held)
    if own:
        raise InputError(
            _(
                "the audit used files of its own that the bundle does not hold: {settings}",
                settings=", ".join(OWN_AUDIT_FILES[name] for name in own),
            ),
            _("`gemeingut verify --rerun N` scores a sample of the audit again"),
        )
    report = _json_object(bundle, bundle / AUDIT / "report.json")
    if not isinstance(audit.get("params"), dict):
        raise InputError(
            _("{file}: the audit's settings are missing", file=f"{TRAINING_METADATA}/lineage.json"),
            _("obtain an unmodified copy of the bundle"),
        )
    return {
        "params": audit["params"],
        "name": (report.get("model") or {}).get("name"),  # none recorded: the folder's
        "command": report.get("command"),
    }


def finetune_licence(bundle: Path, record: str = FINETUNE_RECORD) -> str | None:
    """The licence named at fine-tuning, which the fine-tune's record (`record`, in the
    bundle) keeps: the rebuild names it again, so that its record is the same."""
    from gemeingut.model.release_licence import RECORD_KEY

    return _json_object(bundle, bundle / record).get(RECORD_KEY)


def release_settings(bundle: Path) -> dict[str, Any]:
    """The release's settings as its `release.json` declares them (a fine-tune's release is
    made by `release --finetuned`, whose options are exactly these)."""
    info = json.loads((bundle / RELEASE_INFO).read_text(encoding="utf-8"))
    settings = {
        "model_name": info["name"],
        "description": info.get("description", ""),  # absent: written before the field
        "license": info["licenses"]["weights"],
        "documents_license": info["licenses"]["documents"],
        "languages": info["languages"],
        "authors": info["authors"],
        "commercial_use": info["commercial_use"],
    }
    if "document_language" in info:  # written by code that has the setting
        settings["document_language"] = info["document_language"]
    if "contact" in info:  # stated at release
        settings["contact"] = info["contact"]
    if "base_hub_id" in info:  # stated at release
        settings["base_hub_id"] = info["base_hub_id"]
    return settings


def _paper_setting(bundle: Path) -> dict[str, str]:
    """The paper the bundle holds, given again as `release --paper` gave it (none: nothing)."""
    from gemeingut.release.release_paper import released_paper

    paper = released_paper(bundle)
    return {"paper": str(paper)} if paper is not None else {}


def _check_base(bundle: Path, base: Path) -> None:
    """`base` holds exactly the files the fine-tune was made from: their hash is the
    fingerprint the fine-tuning recorded (verify has checked the list against it)."""
    if not base.is_dir():
        raise InputError(_("{path} is not a folder", path=base), _("pass the base model's folder"))
    fingerprint = base_record(bundle).get("fingerprint")
    found, listed = recorded_listing(base, fingerprint), base_listing(bundle)
    if listing_fingerprint(found) != fingerprint:
        differing = differing_files(found, listed)
        if differing and bookkeeping(differing) == differing:
            raise InputError(
                _(
                    "{path} holds the base's model files, but {listing} was written by an older "
                    "gemeingut and also lists download bookkeeping files, which change with "
                    "every download: {files}",
                    path=base,
                    listing=f"{BASE_DIR}/{BASE_FILES}",
                    files=files_said(differing),
                ),
                _("pass the very folder the model was fine-tuned from (with those files)"),
            )
        named = {
            "path": base,
            "files": files_said(differing),
            "listing": f"{BASE_DIR}/{BASE_FILES}",
        }
        raise InputError(
            plural(
                len(differing),
                _(
                    "{path} is not the base this model was fine-tuned from: {files} differs from "
                    "{listing}",
                    **named,
                ),
                _(
                    "{path} is not the base this model was fine-tuned from: {files} differ from "
                    "{listing}",
                    **named,
                ),
            ),
            _(
                "pass the folder of {name} with exactly the files listed there",
                name=base_record(bundle).get("name") or "the base",
            ),
        )


def stage_data(
    bundle: Path,
    tuned: dict[str, Any],
    target: Path,
    workspace: Path,
    copy: str = FINETUNING,
    record_path: str = FINETUNE_RECORD,
) -> tuple[Path, Path | None]:
    """The fine-tuning data (and validation data) from the bundle's `copy` of them, as the
    fine-tuning got them: a file or folder under its own name (its record, `record_path`,
    names it), a curated dataset as the artifact it was, under the name of the folder it was
    fine-tuned from (its record keeps that name, so the rebuild's must be the same)."""
    record = _json_object(bundle, bundle / record_path)
    folder = bundle / copy
    if (folder / CURATED_DIR).is_dir():
        named = _folder_name(record["data"].get("path_name"))
        data = _curated_dataset(bundle, folder / CURATED_DIR, workspace, target / "data", named)
    else:
        data = _stage(folder / record["data"]["path_name"], target / "data")
    if "validation" not in tuned["inputs"]:
        return data, None
    given = folder / "validation"
    copies = sorted(given.iterdir()) if given.is_dir() else []
    if len(copies) != 1:
        raise InputError(
            _(
                "the bundle's validation data is not one file or folder in {folder}",
                folder=f"{copy}/validation",
            ),
            _("obtain an unmodified copy of the bundle"),
        )
    if copies[0].name == CURATED_DIR:
        named = _folder_name(record["data"].get("validation_from"))
        return data, _curated_dataset(bundle, copies[0], workspace, target / "validation", named)
    return data, _stage(copies[0], target / "validation")


def _json_object(bundle: Path, path: Path) -> dict[str, Any]:
    """A record of the bundle that must be a JSON object, or an `InputError` naming it."""
    where = path.relative_to(bundle).as_posix()
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(
            _("{path} cannot be read: {error}", path=where, error=str(error)),
            _("obtain an unmodified copy of the bundle"),
        ) from None
    if not isinstance(value, dict):
        raise InputError(
            _("{file} is not an artifact record: {error}", file=where, error=text(NOT_AN_OBJECT)),
            _("obtain an unmodified copy of the bundle"),
        )
    return value


def _folder_name(name: Any) -> str | None:
    """A recorded folder name the rebuild can use as one: a single plain name, else none."""
    if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
        return None
    return name


def _curated_dataset(
    bundle: Path, copy: Path, workspace: Path, target: Path, name: str | None
) -> Path:
    """The curated dataset a fine-tune was trained on, as an artifact again: its record's id
    must be the one its lineage gives, and each file of the bundle's copy the one the record
    hashes. Only the splits the fine-tuning reads are in the copy (train, validation,
    stats.json); the record still names all of the dataset's files. It lands in `target`
    under `name`, the folder's name the fine-tuning recorded (`meine-daten`, say), or in
    `workspace` under its id where that name is none or the id itself."""
    path = copy / DATASET_RECORD
    where = path.relative_to(bundle).as_posix()
    if not path.is_file():
        raise InputError(
            _(
                "{bundle} was fine-tuned on a curated dataset artifact, whose record the bundle "
                "does not hold",
                bundle=bundle,
            ),
            _("rebuild it with `gemeingut model finetune` on that dataset artifact"),
        )
    meta = _json_object(bundle, path)
    try:
        lineage_id = artifact_id(meta["kind"], meta["inputs"], meta["params"], meta["code"])
        recorded, files = meta["id"], meta["files"]
        if not isinstance(files, dict):
            raise TypeError(text(_("files: {error}", error=text(NOT_AN_OBJECT))))
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(
            _("{file} is not an artifact record: {error}", file=where, error=str(error)),
            _("obtain an unmodified copy of the bundle"),
        ) from None
    if meta["kind"] != "dataset" or lineage_id != recorded:
        raise InputError(
            _(
                "{file} names the id {id}, but its lineage gives {lineage}",
                file=where,
                id=str(recorded),
                lineage=lineage_id,
            ),
            _("obtain an unmodified copy of the bundle"),
        )
    if name is not None and name != recorded:  # fine-tuned from a folder of its own name
        folder = target / name
    else:  # from the workspace, as `gemeingut build` curates it
        folder = workspace / meta["kind"] / recorded
    for source in sorted(p for p in copy.rglob("*") if p.is_file() and p != path):
        rel = source.relative_to(copy).as_posix()
        if files.get(rel) != "sha256:" + sha256_file(source):
            raise InputError(
                _(
                    "{file} is not the dataset's {name} that {record} hashes",
                    file=source.relative_to(bundle).as_posix(),
                    name=rel,
                    record=where,
                ),
                _("obtain an unmodified copy of the bundle"),
            )
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, folder / rel)
    shutil.copy2(path, folder / ARTIFACT_FILE)  # byte for byte: the fine-tune copies it again
    return folder


def _stage(source: Path, folder: Path) -> Path:
    """A copy of `source` under `folder`, by its own name (the fine-tuning records the name)."""
    folder.mkdir(parents=True)
    copy = folder / source.name
    if source.is_dir():
        shutil.copytree(source, copy, symlinks=True)
    else:
        shutil.copy2(source, copy)
    return copy
