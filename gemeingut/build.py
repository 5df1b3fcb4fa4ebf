"""`gemeingut build`: walk a recipe's chain of stages and run only what is missing."""

from __future__ import annotations

import shlex
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape

from gemeingut.data.use_conditions import ReleaseTerms
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.finetune_data_licence import check_data_attribution, refuse_closed_data
from gemeingut.progress import console
from gemeingut.recipe import FinetuneSection, Recipe, load_recipe
from gemeingut.recipe_lines import Key, KeyLines
from gemeingut.release.licence_given import check_release_licence
from gemeingut.stage_names import stage_line
from gemeingut.stages import (
    audit_stage,
    curate_stage,
    evaluate_stage,
    export_stage,
    finetune_stage,
    missing_input,
    pretrain_stage,
    publish_stage,
    refuse_broken_conditions,
    refuse_unkept_share_alike,
    release_stage,
    require_documents,
    summary,
    tokenizer_stage,
)
from gemeingut.workspace import Artifact, Workspace

# How to repeat a build's audit from inside its release bundle (the recipe is in training-code/,
# the training documents in training-data/), run in its audit/ like the report's lm_eval command;
# it writes beside the bundle, which stays as signed.
RERUN = (
    "gemeingut audit run ../model --config ../training-code/recipe.toml "
    "--training-data ../training-data --out ../../audit-rerun"
)


def build(
    recipe_path: Path, workspace_root: Path, dataset: Artifact | None = None
) -> dict[str, Any]:
    """Build every artifact of the recipe in the workspace; returns kind → path, id, reused.
    `dataset`: a curated dataset to start from instead of curating the recipe's sources (how
    `reproduce` rebuilds a release from its bundle, which holds the shards, not the sources)."""
    recipe = load_recipe(recipe_path)
    # refused now, not after training: the sources' declared use conditions, the licence's
    # name, its text, its naming condition
    declared = {s.name: s.use_conditions for s in recipe.data.sources if s.use_conditions}
    terms = ReleaseTerms(recipe.release.license, recipe.release.commercial_use)
    refuse_broken_conditions(declared, terms)
    check_release_licence(recipe.release, None, f"{recipe_path}: release.license_file")
    _refuse_before_building(recipe_path, recipe, curating=dataset is None)
    if recipe.finetune is not None:  # its data's attribution: not after curating and pretraining
        check_data_attribution(recipe.finetune)
    place = Workspace(workspace_root).produce
    done: dict[str, tuple[Artifact, bool]] = {}

    def step(kind: str, result: tuple[Artifact, bool]) -> Artifact:
        done[kind] = result
        artifact, reused = result
        line = "[green]✓[/] " + escape(stage_line(kind, reused, artifact.path))
        console.print(line, highlight=False, soft_wrap=True)  # a long path: one line still
        return artifact

    curated = (dataset, True) if dataset is not None else curate_stage(place, recipe.data)
    dataset = step("dataset", curated)
    require_documents(dataset)
    tuning = recipe.finetune  # the data's share-alike licences are known now: not after training
    stated = tuning.data_license if tuning is not None and tuning.base is None else None
    refuse_unkept_share_alike(dataset, recipe.release.license, stated)
    publication = None
    if recipe.data.publication is not None:
        publication = step("publication", publish_stage(place, dataset, recipe.data.publication))
    tokenizer = step("tokenizer", tokenizer_stage(place, dataset, recipe.tokenizer))
    model = step("model", pretrain_stage(place, dataset, tokenizer, recipe.model))
    released = model
    if recipe.finetune is not None:
        tuning = recipe.finetune
        assert tuning.data is not None  # the recipe validator requires it
        base = tuning.base or model.path
        result = finetune_stage(place, base, tuning.data, tuning, recipe.release.license)
        tuned = step("finetune", result)
        if tuning.base is None:  # fine-tuned from the recipe's own model: release that
            released = tuned
    evaluation = step("evaluation", evaluate_stage(place, released, dataset, recipe.evaluate))
    artifacts = {
        "dataset": dataset,
        "tokenizer": tokenizer,
        "model": model,
        "evaluation": evaluation,
    }
    if publication is not None:  # its data statement is the bundle's data card
        artifacts["publication"] = publication
    if recipe.audit is not None:
        from gemeingut.audit.subject import Subject, artifact_documents

        subject = Subject(  # its dataset's train shards, and a fine-tune's own data
            recipe.release.model_name,
            released.id,
            model_dir=released.path,
            documents=artifact_documents(released),
        )
        audit = recipe.audit
        own_files = [
            audit.tasks.suite,
            audit.bias.suite,
            audit.redteam.suite,
            audit.memorisation.canaries,
            audit.findings,
        ]
        # The bundle holds the recipe and the training data, not the user's own suite files:
        # only an audit on the shipped suites can be repeated from inside it.
        command = (
            RERUN if not any(own_files) else shlex.join(["gemeingut", "build", recipe_path.name])
        )
        artifacts["audit"] = step("audit", audit_stage(place, subject, audit, command))
    if released is not model:
        artifacts["finetune"] = released
    if recipe.export is not None:  # the released model as GGUF, shipped in the bundle
        name, licence = recipe.release.model_name, recipe.release.license
        export = export_stage(place, released, recipe.export.gguf, name, licence)
        artifacts["gguf"] = step("gguf", export)
    step("release", release_stage(place, recipe.release, recipe_path, artifacts))
    return summary(done)


def _refuse_before_building(recipe_path: Path, recipe: Recipe, curating: bool) -> None:
    """Fine-tuning data no open model may be made from, and an input that is not there, are
    said with the recipe's key and its line before anything is built: at their stage they came
    after curating and pretraining. `curating`: the sources are read (not a given dataset)."""
    where = _recipe_places(recipe_path)
    inputs: dict[Key, Path | None] = {}
    if curating:
        inputs = {("data", "sources", i, "path"): s.path for i, s in enumerate(recipe.data.sources)}
    tuning = recipe.finetune
    if tuning is not None:
        hint = _(
            "fine-tune on data under an open licence, or release under a licence that keeps the "
            "data's terms (release.license)"
        )
        named = where(("finetune", "data_license"))
        refuse_closed_data(tuning.data_license, recipe.release.license, named, hint)
        if tuning.base is not None and tuning.base.exists():  # else: said below, with its line
            _refuse_base_licence(tuning, recipe.release.license, where(("finetune", "base")))
        inputs |= {
            ("finetune", key): getattr(tuning, key) for key in ("base", "data", "validation")
        }
    for key, path in inputs.items():
        if path is not None and not path.exists():
            raise missing_input(path, where(key))


def _refuse_base_licence(tuning: FinetuneSection, release_license: str, where: str) -> None:
    """A release licence the base model's licence forbids, said before curating and
    pretraining (`finetune_stage` checks it again: it also runs alone)."""
    from gemeingut.model.base_model import inspect_base_model, release_refusal

    assert tuning.base is not None
    facts = inspect_base_model(tuning.base, tuning.base_license, check_files=False)
    refusal = release_refusal(facts, release_license)
    if refusal is not None:
        reason, hint = refusal
        raise InputError(_("{path}: {problem}", path=where, problem=reason), hint)


def _recipe_places(recipe_path: Path) -> Callable[[Key], str]:
    """`file:line: key` of a recipe's key (the file alone where the line is not known); the
    recipe has been read and validated already."""
    source = recipe_path.read_text(encoding="utf-8")
    lines = KeyLines.of(source, tomllib.loads(source))

    def where(key: Key) -> str:
        line = lines.line(key)
        name = ".".join(str(part) for part in key)
        return f"{recipe_path}: {name}" if line is None else f"{recipe_path}:{line}: {name}"

    return where
