"""Releasing and checking: release, sign, verify, and the signing keys."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from gemeingut.cli.app import app, keys_app, openness_app
from gemeingut.cli.common import ERROR, JsonFlag, OutDir, given_path, report, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, current_language, plural, text
from gemeingut.progress import console, result_console
from gemeingut.recipe import ReleaseSection
from gemeingut.workspace import Artifact, at, load_artifact

if TYPE_CHECKING:
    from gemeingut.release.reproduce import Comparison
    from gemeingut.release.reproduce_environment import Environment
    from gemeingut.release.rerun import Reran, Rerun
    from gemeingut.release.rerun_evaluation import EvaluationRerun
    from gemeingut.release.signing import KeyInfo

KeyDir = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="Key folder (default: ~/.config/gemeingut/keys).", parser=given_path
    ),
]


@app.command()
@user_errors
def release(
    name: Annotated[str, typer.Option(help="Name of the released model.")],
    out: OutDir,
    dataset: Annotated[
        Path | None, typer.Option(help="Dataset artifact directory.", parser=given_path)
    ] = None,
    tokenizer: Annotated[
        Path | None, typer.Option(help="Tokenizer artifact directory.", parser=given_path)
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="Model artifact directory.", parser=given_path)
    ] = None,
    evaluation: Annotated[
        Path | None, typer.Option(help="Evaluation artifact directory.", parser=given_path)
    ] = None,
    license: Annotated[
        str | None,
        typer.Option(
            help="SPDX licence of the model; terms of their own as LicenseRef-NAME, with "
            "--license-file (default: with --finetuned the licence chosen at fine-tuning, else "
            "the base model's; otherwise Apache-2.0)."
        ),
    ] = None,
    license_file: Annotated[
        Path | None,
        typer.Option(
            help="The whole text of the model's licence (a UTF-8 file), shipped as "
            "model/LICENSE instead of gemeingut's reference text; needed where gemeingut has "
            "none. A fine-tune of a foreign base ships the LICENSE of its folder.",
            parser=given_path,
        ),
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Language code (default de); repeat for more.")
    ] = None,
    document_language: Annotated[
        str | None,
        typer.Option(
            help="Language of the card and NOTICE, de or en (default: the language of the "
            "messages, --lang); recorded in release.json."
        ),
    ] = None,
    recipe: Annotated[
        Path | None, typer.Option(help="Recipe to include as code.", parser=given_path)
    ] = None,
    finetuned: Annotated[
        Path | None,
        typer.Option(
            help="A model fine-tuned from --model (merged or full): released instead; alone, "
            "a model fine-tuned from a foreign base.",
            parser=given_path,
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            help="The foreign base folder (default: the one the fine-tune names).",
            parser=given_path,
        ),
    ] = None,
    base_hub_id: Annotated[
        str | None,
        typer.Option(
            help="The foreign base's Hugging Face Hub id (org/name): a released LoRA adapter "
            "names its base by it, for peft."
        ),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            help="Audit artifact of the released model (`gemeingut audit`).", parser=given_path
        ),
    ] = None,
    publication: Annotated[
        Path | None,
        typer.Option(
            help="Publication of the dataset (`gemeingut data publish`): its data statement, "
            "Croissant and DCAT go into the bundle (the data card an open release needs); with "
            "--finetuned alone, of the curated dataset the model was fine-tuned on: its data "
            "statement goes beside the fine-tuning data.",
            parser=given_path,
        ),
    ] = None,
    paper: Annotated[
        Path | None,
        typer.Option(
            help="Research paper about the model (a file or folder), put in paper/; with "
            "--finetuned alone, about the fine-tuned model (it counts where the base publishes "
            "its own too).",
            parser=given_path,
        ),
    ] = None,
    description: Annotated[str, typer.Option(help="What the card says the model is.")] = "",
    author: Annotated[
        list[str] | None,
        typer.Option(
            help="Who made the model (repeat for several): the card's and MOF's producer."
        ),
    ] = None,
    contact: Annotated[
        str, typer.Option(help="Whom to ask about the model (an e-mail or web address).")
    ] = "",
    sign_key: Annotated[
        Path | None,
        typer.Option(help="Private key (`gemeingut keys create`) to sign with.", parser=given_path),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Bundle the five open artifacts with a model card, openness report and MANIFEST; with
    --finetuned alone, a model fine-tuned from a foreign base, rated with what its base lacks."""
    from gemeingut.errors import InputError
    from gemeingut.stages import finetune_release_stage, release_stage

    if license is not None:
        _check_licence_expression(license)
    if sign_key is not None:  # a key that cannot sign is refused before the release is built
        from gemeingut.release.signing import load_private_key

        load_private_key(sign_key)
    if paper is not None and not paper.exists():
        raise InputError(
            _("--paper {path} does not exist", path=str(paper)),
            _("pass the paper's file or folder"),
        )
    if recipe is not None and not recipe.is_file():  # else a bare "does not exist" mid-build
        raise InputError(
            _("--recipe {path} is not a file", path=str(recipe)),
            _("pass the recipe (TOML) the model was built with, or leave --recipe out"),
        )
    if license_file is not None:  # a text that cannot be shipped is refused before the build
        from gemeingut.release.openness.weights_licence_text import read_licence_file

        read_licence_file(license_file, "--license-file")
    section = ReleaseSection(
        model_name=name,
        license=license or _fine_tune_licence(finetuned) or "Apache-2.0",
        languages=language or ["de"],
        document_language=document_language or current_language(),
        description=description,
        authors=author or [],
        contact=contact,
        paper=paper.resolve() if paper is not None else None,
        license_file=license_file.resolve() if license_file is not None else None,
        base_hub_id=base_hub_id,
    )
    own = {"dataset": dataset, "tokenizer": tokenizer, "model": model, "evaluation": evaluation}
    audited = load_artifact(audit, "audit") if audit is not None else None
    if finetuned is not None and not any(own.values()):
        if license_file is not None:  # its files, as fine-tuned, are what is released
            raise InputError(
                _(
                    "--license-file is for releasing a model gemeingut pretrained (--dataset, "
                    "--tokenizer, --model, --evaluation); a fine-tune's licence text is the "
                    "LICENSE file in its own folder, which the release ships as model/LICENSE"
                ),
                _(
                    "leave --license-file out and put the text into the fine-tuned folder: "
                    "{command}",
                    command=f"cp {license_file} {finetuned / 'LICENSE'}",
                ),
            )
        tuned = load_artifact(finetuned, ("model", "adapter"))
        from gemeingut.release.finetune_chain import refuse_closed_chain_data

        refuse_closed_chain_data(tuned, section.license)  # before the stage writes anything
        # the data statement of the fine-tuning data (the stage checks that it is of that data)
        published = load_artifact(publication, "publication") if publication is not None else None
        try:
            artifact, reused = finetune_release_stage(
                at(out), section, recipe, tuned, base, audited, published
            )
        except InputError as refused:
            raise _stated_at_finetuning(refused) from None
        if published is None:
            from gemeingut.release.finetune_publication import unpublished_hint

            hint = unpublished_hint(tuned.path)
            if hint is not None:
                say("[yellow]![/]", hint)
        from gemeingut.release.layout import locate_bundle
        from gemeingut.release.openness.licence_conditions import release_reminders
        from gemeingut.release.verify_base_release import release_said

        for reminder in release_reminders(section.license, artifact.path):
            say("[yellow]![/]", reminder)
        for said in release_said(locate_bundle(artifact.path)):  # a base that is our release
            say("[yellow]![/]", said)
    elif all(own.values()):
        for option, given in (("--base", base), ("--base-hub-id", base_hub_id)):
            if given is not None:
                raise InputError(
                    _("{option} names the foreign base of a fine-tune", option=option),
                    _("our own pretraining has no foreign base: leave {option} out", option=option),
                )
        artifacts = {kind: load_artifact(path, kind) for kind, path in own.items()}
        if finetuned is not None:
            artifacts["finetune"] = _merged(load_artifact(finetuned, ("model", "adapter")))
        from gemeingut.release.licence_given import check_release_licence

        # here, not only in the bundle: its refusals name this command's options
        released = artifacts.get("finetune", artifacts["model"]).path
        check_release_licence(section, released, "--license-file", "--license")
        if audited is not None:
            artifacts["audit"] = audited
        if publication is not None:
            artifacts["publication"] = load_artifact(publication, "publication")
        named = {"release.license": "--license", "release.languages": "--language"}
        artifact, reused = release_stage(at(out), section, recipe, artifacts, named)
    else:
        missing = [f"--{kind}" for kind, path in own.items() if path is None]
        raise InputError(
            _(
                "missing {options}: a release of our own pretraining needs --dataset, "
                "--tokenizer, --model and --evaluation",
                options=", ".join(missing),
            ),
            _("pass all four, or only --finetuned for a model fine-tuned from a foreign base"),
        )
    if sign_key is not None and (kept := _sign(artifact.path, sign_key)) is not None:
        say(
            "[yellow]![/]",
            _(
                "the bundle {bundle} is signed already ({file}), and its signature stays as it "
                "is; to replace it, use `gemeingut sign --force`",
                bundle=kept.parent,
                file=kept.name,
            ),
        )
    report("release", artifact, reused, as_json)


def _stated_at_finetuning(refused: InputError) -> InputError:
    """A base of no known licence is refused with the hint of `model finetune`, whose
    --base-license release lacks: the base's licence is part of the fine-tune's record (its
    lineage, which `verify` checks and `reproduce` replays), so it is stated where the
    fine-tune is made, as a new fine-tune; any other refusal as it is."""
    from gemeingut.model.base_model import UNKNOWN_HINT

    if refused.hint != UNKNOWN_HINT or not isinstance(refused.message, Message):
        return refused
    return InputError(
        refused.message,
        _(
            "the base model's licence is recorded by the fine-tuning, not at release: read it "
            "and fine-tune again, stating it: gemeingut model finetune {base} --base-license "
            "SPDX … (or add `license:` to its README.md card first)",
            base=refused.message.values.get("path", "BASE"),
        ),
    )


def _check_licence_expression(licence: str) -> None:
    """--license must be an SPDX licence expression: an empty or malformed one ("MIT OR (")
    was released as it was, and every document then named a licence that is none."""
    from license_expression import ExpressionError

    from gemeingut.data.licenses import parse_expression
    from gemeingut.errors import InputError
    from gemeingut.release.licence_given import refuse_unknown_licence

    hint = _("name the model's SPDX licence, e.g. {example}", example="--license Apache-2.0")
    if not licence.strip():
        raise InputError(_("no licence given: --license is empty"), hint)
    try:
        parse_expression(licence)
    except ExpressionError:  # its words are English: the expression is shown instead
        raise InputError(
            _("--license {licence!r} is not an SPDX licence expression", licence=licence),
            _(
                "{hint}; terms of your own as LicenseRef-NAME, with their text in --license-file",
                hint=hint,
            ),
        ) from None
    refuse_unknown_licence(licence, "--license")


def _fine_tune_licence(finetuned: Path | None) -> str | None:
    """Without --license, a fine-tune is released under the licence chosen when it was made,
    else its base's (`release_licence.py`); the release says which."""
    from gemeingut.model.loading import FINETUNE_FILE
    from gemeingut.model.release_licence import release_licence

    if finetuned is None or not (finetuned / FINETUNE_FILE).is_file():
        return None  # not a fine-tune: the stage says so
    chosen = release_licence(finetuned)
    if chosen.licence is not None:
        say(" ", _("licence of the release: {why}", why=chosen.why))
    return chosen.licence


@app.command()
@user_errors
def sign(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="Release bundle (or release artifact) folder, or an audit's output folder.",
            parser=given_path,
        ),
    ],
    key: Annotated[
        Path, typer.Option(help="Private key file (`gemeingut keys create`).", parser=given_path)
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a signature the bundle has already.")
    ] = False,
) -> None:
    """Sign BUNDLE offline (OpenSSF model-signing): bundle.sig binds the sha256 of every file."""
    from gemeingut.errors import InputError
    from gemeingut.release.signing import load_private_key

    load_private_key(key)  # a key that cannot sign is refused before the bundle is hashed
    kept = _sign(bundle, key, force)
    if kept is not None:  # a publisher's signature is not lost by a slip
        raise InputError(
            _("the bundle {bundle} is signed already ({file})", bundle=kept.parent, file=kept.name),
            _("check it with `gemeingut verify --key`; pass --force to replace its signature"),
        )


def _sign(path: Path, key: Path, force: bool = False) -> Path | None:
    """Sign the bundle at `path` if it matches its MANIFEST (never sign files that changed);
    a signature it has already is replaced only with `force`, else its path is returned. An
    audit folder without a MANIFEST gets one where it holds what the audit recorded."""
    from gemeingut.release.audit_folder import is_audit_folder, write_audit_manifest
    from gemeingut.release.layout import locate_bundle
    from gemeingut.release.manifest import SIGNATURE
    from gemeingut.release.signing import sign_bundle
    from gemeingut.release.verify import verify_bundle

    located = locate_bundle(path)
    existing = located / SIGNATURE
    if existing.is_file() and not force:
        return existing
    if is_audit_folder(located):  # one an older gemeingut wrote has no MANIFEST yet
        write_audit_manifest(located)
    checked = verify_bundle(path, with_signature=False)
    for note in checked.notes:  # an older version's words, which the signature vouches for
        say(" ", note)
    signature = sign_bundle(checked.bundle, key, checked.digests)  # the bytes just checked
    say("[green]✓[/]", _("signed: {path}", path=signature))
    return None


def _json_when_failed(command: Callable[..., None]) -> Callable[..., None]:
    """With --json, a bundle that fails verification prints its record on stdout too; the
    message and the exit code (1; 2 for a mistake in the call) are `user_errors`'."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from gemeingut.release.verify import BundleFailed

        try:
            command(*args, **kwargs)
        except BundleFailed as failed:
            if kwargs.get("as_json"):
                import json

                from gemeingut.release.verify_json import failed_record

                typer.echo(json.dumps(failed_record(failed), indent=2, ensure_ascii=False))
            raise

    return wrapper


@app.command()
@user_errors
@_json_when_failed
def verify(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="Release bundle (or release artifact) folder, or an audit's output folder.",
            parser=given_path,
        ),
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            help="Public key (.pub) of the publisher: the signature must match it.",
            parser=given_path,
        ),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            help="For a fine-tune of one of our releases: that release (or its bundle), "
            "compared with what the bundle recorded of it when it was released.",
            parser=given_path,
        ),
    ] = None,
    rerun: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also score N of the audit's bias pairs and N of its task items, all of the "
            "evaluation's test data and the training's final validation loss, again with the "
            "bundle's model on the CPU. The validation loss is scored on every window the "
            "training measured it on (eval_batches global batches, or all of the validation "
            "data where it holds fewer): seconds for the demo, up to hours for a 1B model.",
        ),
    ] = 0,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of --rerun's sample, to repeat a run (default: a new one)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the result as JSON on stdout (also when the bundle fails)."
        ),
    ] = False,
) -> None:
    """Check BUNDLE: hashes, safe paths, the five artifacts, every openness check and claim,
    with --key the signature (an audit's output folder: hashes, safe paths, the figures of
    its report against its item logs, with --key the signature), with --rerun the numbers
    computed again with the bundle's model (a sample of the audit's bias pairs and task items,
    all of the test data, the final validation loss). Exit code 1: the bundle fails; 2: the
    call is wrong (no such folder, an unusable key, nothing to re-run)."""
    from gemeingut.errors import InputError
    from gemeingut.i18n.visible import visible
    from gemeingut.release.audit_folder import is_audit_folder
    from gemeingut.release.layout import locate_bundle
    from gemeingut.release.manifest import MANIFEST
    from gemeingut.release.rerun import require_rerunnable
    from gemeingut.release.verify import verify_bundle

    if seed is not None and rerun == 0:
        raise InputError(
            _("--seed chooses the sample of --rerun, which was not given"),
            _("add --rerun N, or leave out --seed"),
        )
    located = locate_bundle(bundle)
    if rerun > 0 and is_audit_folder(located):  # its model is not in it, nor named for others
        raise InputError(
            _(
                "--rerun scores items again with the model a release bundle holds; the audit "
                "folder {folder} holds no model",
                folder=visible(str(located)),
            ),
            _(
                "verify it without --rerun (its figures are computed again from its item logs "
                "all the same); to score the model again, run `gemeingut audit run` on it"
            ),
        )
    # before any hashing: a bundle with nothing a model computed that it holds has nothing to
    # re-run (a folder that is no bundle at all is named as such by `verify_bundle`)
    if rerun > 0 and (located / MANIFEST).is_file():
        require_rerunnable(located)
    checked = verify_bundle(bundle, key, base=base)
    lang = current_language()
    if checked.signature is not None and not as_json:  # first, on a line of its own
        say("[green]✓[/]" if checked.signed_by else " ", checked.signature)
    matched = _("{bundle}: all {files} files match the MANIFEST",
                bundle=visible(str(checked.bundle)), files=checked.files)  # fmt: skip
    if not as_json:
        say("[green]✓[/]", matched)
    if is_audit_folder(checked.bundle) and not as_json:  # which checks ran: an audit's
        logs = sorted(rel for rel in checked.digests if rel.startswith("logs/"))
        said = (
            _("an audit's folder: the figures of report.json computed again from {logs}",
              logs=", ".join(logs))
            if logs
            else _("an audit's folder: its report.json has no item logs to compute it again from")
        )  # fmt: skip
        say("[green]✓[/]" if logs else " ", said)
    if checked.rating is not None and not as_json:
        say("[green]✓[/]", _rating_said(checked.rating, lang))
    for note in [] if as_json else checked.notes:  # how a document was compared
        say(" ", note)
    again = _rerun(checked.bundle, rerun, seed, checked.files) if rerun > 0 else None
    if again is not None and not as_json:
        _say_reran(again, lang)
    if as_json:  # after --rerun, whose disagreement fails the bundle
        import json

        from gemeingut.release.verify_json import verified_record

        typer.echo(json.dumps(verified_record(checked, again), indent=2, ensure_ascii=False))


def _say_reran(again: Reran, lang: str) -> None:
    """What `--rerun` computed again, a line each, and what the bundle held none of."""
    from gemeingut.release.rerun_checked import nats
    from gemeingut.release.rerun_evaluation import EVALUATION

    bias = again.bias
    if bias is None:
        say(" ", _("no bias audit in the bundle: no bias pairs re-run"))
    else:
        console.print(
            "[green]✓[/] "
            + text(
                _(
                    "re-ran {checked} of {total} bias pairs drawn with --seed {seed}: all within "
                    "{tolerance} nats of the audit's log (the largest difference: {largest} nats)",
                    checked=bias.checked,
                    total=bias.total,
                    seed=str(bias.seed),
                    tolerance=bias.tolerance,
                    largest=nats(bias.largest),
                ),
                lang,
            )
        )
        if bias.device_note is not None:
            console.print("  " + text(bias.device_note, lang), soft_wrap=True)
    from gemeingut.release.rerun_checked import say_more

    say_more(again.tasks, again.validation, again.bundle)
    evaluation = again.evaluation
    if evaluation is None:
        say(" ", _("no evaluation results in the bundle: no test data re-scored"))
        return
    documents = plural(
        evaluation.documents,
        _("re-scored the one test document ({tokens} tokens): loss, perplexity and bits per "
          "byte within {tolerance} nats of {file} (the loss differs by {largest} nats)",
          tokens=evaluation.tokens, tolerance=evaluation.tolerance, file=EVALUATION,
          largest=nats(evaluation.largest)),
        _("re-scored all {documents} test documents ({tokens} tokens): loss, perplexity and "
          "bits per byte within {tolerance} nats of {file} (the loss differs by {largest} "
          "nats)", documents=evaluation.documents, tokens=evaluation.tokens,
          tolerance=evaluation.tolerance, file=EVALUATION, largest=nats(evaluation.largest)),
    )  # fmt: skip
    console.print("[green]✓[/] " + text(documents, lang), soft_wrap=True)


def _rerun(bundle: Path, n: int, seed: int | None, files: int) -> Reran:
    """`--rerun`: a sample of the audit's bias pairs and task items scored again, all of the
    evaluation's test data and the final validation loss, each where the bundle holds it; a
    disagreement, or a record the re-run cannot read, fails the bundle (exit 1) whose `files`
    all matched the MANIFEST."""
    from gemeingut.release.rerun import Reran, has_bias_audit, new_seed
    from gemeingut.release.rerun_checked import rerun_tasks_checked, rerun_validation_checked
    from gemeingut.release.rerun_evaluation import has_evaluation
    from gemeingut.release.rerun_tasks import has_task_log
    from gemeingut.release.rerun_validation import has_final_validation

    seed = new_seed() if seed is None else seed
    bias = _rerun_bias(bundle, n, seed, files) if has_bias_audit(bundle) else None
    evaluation = _rerun_evaluation(bundle, files) if has_evaluation(bundle) else None
    tasks = rerun_tasks_checked(bundle, n, seed, files) if has_task_log(bundle) else None
    final = has_final_validation(bundle)
    validation = rerun_validation_checked(bundle, files) if final else None
    return Reran(seed, bias, evaluation, tasks, validation, bundle)


def _rerun_bias(bundle: Path, n: int, seed: int, files: int) -> Rerun:
    from gemeingut.release.layout import AUDIT_REPORT
    from gemeingut.release.manifest import shorten
    from gemeingut.release.rerun import rerun_bias_sample
    from gemeingut.release.rerun_checked import checked

    return checked(
        bundle, files, AUDIT_REPORT, lambda: rerun_bias_sample(bundle, n, seed),
        lambda again: _("re-running {checked} audit items (--seed {seed}) disagrees with the "
                        "bundle: {problems}", checked=str(again.checked), seed=str(again.seed),
                        problems=shorten(again.problems)),
        _("the audit log was altered, or it is not of this model"),
    )  # fmt: skip


def _rerun_evaluation(bundle: Path, files: int) -> EvaluationRerun:
    from gemeingut.release.manifest import shorten
    from gemeingut.release.rerun_checked import checked
    from gemeingut.release.rerun_evaluation import EVALUATION, rerun_evaluation

    return checked(
        bundle, files, EVALUATION, lambda: rerun_evaluation(bundle),
        lambda again: _("re-scoring the test data disagrees with the bundle: {problems}",
                        problems=shorten(again.problems)),
        _("the evaluation results were altered, or they are not of this model"),
    )  # fmt: skip


def compared_lines(
    results: list[Comparison], environment: Environment | None = None
) -> list[tuple[str, str]]:
    """`reproduce`'s lines (mark, text): each artifact, the role column as wide as the longest
    role (a chain's are longer), then where each of its files differs; which side of ≠ is the
    bundle's is said first, where a line shows one. Where an artifact differs, the libraries
    of the rebuild that differ from the bundle's lockfile (`environment`) close them, as a
    likely cause."""
    from gemeingut.release.reproduce_environment import likely_cause

    width = max((len(r.shown) for r in results), default=0)
    lines = []
    if any(r.details for r in results):
        lines.append(("", text(_("where a file differs: the bundle's value ≠ the rebuilt one"))))
    for r in results:
        if r.equal:
            detail = _("equal")
        elif r.rebuilt_id is None:
            detail = _("not rebuilt")
        elif r.id_recorded and r.rebuilt_id != r.recorded_id:  # a bundle alone: its files
            detail = _("rebuilt as {id}", id=r.rebuilt_id)
        else:
            detail = _("differs: {files}", files=", ".join(r.differing[:8]))
        mark = "[green]✓[/]" if r.equal else "[red]✗[/]"
        lines.append((mark, f"{r.shown:<{width}} {r.recorded_id}  {text(detail)}"))
        # where each file differs, where both versions are at hand
        lines += [("   ", f"{rel}: {'; '.join(r.details[rel])}") for rel in r.differing[:8]
                  if r.details.get(rel)]  # fmt: skip
    cause = None if environment is None else likely_cause(environment)
    if cause is not None and not all(r.equal for r in results):
        lines.append(("[yellow]![/]", text(cause)))
    return lines


def _rating_said(rating: dict, lang: str) -> str:
    """The rating `verify` computed again from the files, in one line."""
    from gemeingut.release.openness.mof import explained
    from gemeingut.release.openness.result import gate_said

    return text(
        _(
            "rating computed again from the files: Model Openness Framework: {mof}; Open "
            "Source AI Definition: {osaid}",
            mof=explained(rating["mof"]["label"], lang),  # as `openness rate` and the card
            osaid=gate_said(rating["osaid"], lang),
        ),
        lang,
    )


@keys_app.command("create")
@user_errors
def keys_create(
    name: Annotated[str, typer.Argument(help="Name of the key pair, e.g. release-2026.")],
    folder: KeyDir = None,
) -> None:
    """Make an EC P-256 key pair: NAME.key (private, mode 600) and NAME.pub (to publish)."""
    from gemeingut.release.signing import create_key, default_key_dir

    info = create_key(name, folder or default_key_dir())
    lang = current_language()
    result_console.print(f"[green]✓[/] {info.name}: {info.fingerprint}")
    private = _("private key (keep it secret): {path}", path=str(info.private))
    result_console.print("  " + text(private, lang))
    public = _("public key (publish it): {path}", path=str(info.public))
    result_console.print("  " + text(public, lang))


@keys_app.command("list")
@user_errors
def keys_list(folder: KeyDir = None, as_json: JsonFlag = False) -> None:
    """List the key pairs in the key folder with their fingerprints; a damaged public key is
    listed as damaged, and the exit code is then 1."""
    import json

    from gemeingut.errors import InputError
    from gemeingut.release.signing import default_key_dir, list_keys

    if folder is not None and not folder.exists():  # a folder asked for, not the default
        raise InputError(
            _("the key folder {path} does not exist", path=str(folder)),
            _("pass the folder that holds the .key and .pub files, or leave --dir out"),
        )
    keys = list_keys(folder or default_key_dir())
    if as_json:
        rows = [
            {
                "name": k.name,
                "fingerprint": k.fingerprint,
                "public": str(k.public),
                "private": str(k.private) if k.private else None,
                "created": k.created,
                "problem": text(k.problem, "en") if k.problem else None,
            }
            for k in keys
        ]
        typer.echo(json.dumps(rows, indent=2))
    else:
        _print_keys(keys)
    damaged = [k for k in keys if k.problem]
    if damaged:  # the good keys are listed, but a script must not take the list as sound
        for k in damaged if as_json else []:
            say(f"[bold red]{text(ERROR)}[/]", k.problem)
        raise typer.Exit(1)


def _print_keys(keys: list[KeyInfo]) -> None:
    lang = current_language()
    if not keys:
        result_console.print(text(_("no keys; create one with `gemeingut keys create NAME`"), lang))
    for k in keys:
        if k.problem:
            damaged = _("damaged: {problem}", problem=k.problem)
            shown = f"[red]✗[/] {k.name}  {escape(text(damaged, lang))}"
            result_console.print(shown, highlight=False)
            continue
        kind = text(_("private + public") if k.private else _("public only"), lang)
        result_console.print(f"{k.name}  {k.fingerprint}  {kind}  {k.created}")


RATING_FORMATS = (".json", ".yml", ".yaml")


def _write_rating(path: Path, result: dict) -> None:
    """The result as its file's name says: YAML for .yml/.yaml, else JSON."""
    import yaml

    from gemeingut.release.openness.write import write_json
    from gemeingut.workspace import write_text_atomic

    if path.suffix.lower() == ".json":
        write_json(path, result)
    else:
        write_text_atomic(path, yaml.safe_dump(result, sort_keys=False, allow_unicode=True))


@openness_app.command("rate")
@user_errors
def openness_rate(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A release bundle, or any model folder (Hugging Face layout).", parser=given_path
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the result here: JSON (.json) or YAML (.yml, .yaml).", parser=given_path
        ),
    ] = None,
    as_json: JsonFlag = False,
    base: Annotated[
        Path | None,
        typer.Option(
            help="The folder of the base model a fine-tune or adapter names: its licence binds "
            "the fine-tune's weights (else the Hugging Face cache is looked in, offline).",
            parser=given_path,
        ),
    ] = None,
) -> None:
    """Rate FOLDER: MOF class, OSAID gate, licences, and what is missing for each class."""
    import json

    from gemeingut.errors import InputError
    from gemeingut.release.openness.check_names import check_said
    from gemeingut.release.openness.indices_said import bundle_indices_said, indices_said
    from gemeingut.release.openness.mof import explained
    from gemeingut.release.openness.rate import rate_path, rated_bundle
    from gemeingut.release.openness.result import gate_said
    from gemeingut.release.openness.write import in_language

    # A folder as --out is named as one by the writer.
    if out is not None and out.suffix.lower() not in RATING_FORMATS and not out.is_dir():
        raise InputError(
            _("--out {path}: the result is written as JSON or YAML", path=str(out)),
            _("name a file ending in .json, .yml or .yaml"),
        )
    result = rate_path(folder, base)
    if out is not None:  # for a person: in their language (--lang), as the lines below
        _write_rating(out, in_language(result, current_language()))
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    lang = current_language()
    shown = result_console  # the result, on stdout: `> rating.txt` keeps it
    mark = {True: "[green]✓[/]", False: "[red]✗[/]"}
    verdict = _("open") if result["open"] else _("not open")
    shown.print(f"{folder}: {text(verdict, lang)}")
    shown.print(f"  Model Openness Framework: {explained(result['mof']['label'], lang)}")
    shown.print(f"  Open Source AI Definition: {gate_said(result['osaid'], lang)}")
    for check in result["checks"]:  # by its name, the id beside it as openness.json has it
        said = f"{text(check_said(check['id']), lang)}: {text(check['detail'], lang)}"
        shown.print(f"  {mark[check['passed']]} {escape(said)}")
    _print_needs(shown, result, lang)
    bundle = rated_bundle(folder)
    said = bundle_indices_said(bundle, lang) if bundle is not None else indices_said(result, lang)
    for line in said:
        shown.print(escape(line), soft_wrap=True)
    if bundle is not None:  # rated from its files as they lie here: released ones, untouched?
        said_verify = _(
            "rated from the bundle's files as they are; whether they are the released ones "
            "(hashes, signature) and every claim in them holds: gemeingut verify {bundle}",
            bundle=shlex.quote(str(folder)),  # a command to paste: 'Modell 2' as one argument
        )
        shown.print(escape(text(said_verify, lang)), soft_wrap=True)
    _point_to_bundle(shown, folder, lang)


def _merged(tuned: Artifact) -> Artifact:
    """The fine-tune of our own model ships as whole weights beside the pretraining's."""
    from gemeingut.errors import InputError

    if tuned.kind == "adapter":
        raise InputError(
            _(
                "--finetuned {path} is a LoRA adapter; a release of our own model ships the "
                "fine-tune's whole weights",
                path=str(tuned.path),
            ),
            _("fine-tune with --merge (in a recipe: [finetune] merge = true)"),
        )
    return tuned


def _point_to_bundle(shown: Console, folder: Path, lang: str) -> None:
    """A folder of a release bundle (its `model/`) is rated alone, without the card, licences
    and data the bundle holds beside it: say which rating covers the model as released."""
    from gemeingut.release.manifest import MANIFEST

    bundle = folder.resolve().parent
    if (folder / MANIFEST).is_file() or not (bundle / MANIFEST).is_file():
        return
    said = _(
        "{folder} is part of the release bundle {bundle}: rated alone it lacks what the bundle "
        "holds beside it (card, licences, data); the model as released: gemeingut openness "
        "rate {bundle}",
        folder=str(folder),
        bundle=shlex.quote(str(bundle)),  # a command to paste, as the folder it names
    )
    shown.print(text(said, lang), soft_wrap=True)


def _print_needs(shown: Console, result: dict, lang: str) -> None:
    """Per class what is missing or not openly licensed, then each such component with the
    reason it counts for nothing (what to ask the publisher for)."""
    from gemeingut.release.openness.mof import said

    for level, label in (("3", _("Class III")), ("2", _("Class II")), ("1", _("Class I"))):
        needs = result["mof"]["levels"][level]
        parts = []
        if needs["missing"]:
            missing = ", ".join(said(name, lang) for name in needs["missing"])
            lacking = plural(
                len(needs["missing"]),
                _("missing {part}", part=missing),
                _("missing {parts}", parts=missing),
            )
            parts.append(text(lacking, lang))
        if needs["invalid"]:
            invalid = ", ".join(said(name, lang) for name in needs["invalid"])
            parts.append(text(_("not openly licensed {parts}", parts=invalid), lang))
        if parts:
            needed = text(_("for {label}:", label=text(label, lang)), lang)
            shown.print(f"  {needed} {'; '.join(parts)}")
    lacking = [
        row
        for row in result["mof"]["components"]
        if row["required"] and not (row["present"] and row["license_open"])
    ]
    reasons: dict[str, list[str]] = {}  # the same reason once, with all it applies to
    for row in lacking:
        reasons.setdefault(text(row["detail"], lang), []).append(said(row["name"], lang))
    if reasons:
        shown.print("  " + text(_("why they count for nothing:"), lang))
    for reason, names in reasons.items():
        shown.print(f"    {', '.join(names)}: {escape(reason)}")
    for field in result["mof"].get("fields_missing", []):  # never invented: ask the publisher
        said = _(
            "missing in the MOF description: {field}: {detail}",
            field=field["field"],
            detail=field["detail"],
        )
        shown.print("  " + escape(text(said, lang)))


@app.command()
@user_errors
def reproduce(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="Release bundle (or release artifact) folder, or an audit's output folder.",
            parser=given_path,
        ),
    ],
    workspace: Annotated[
        Path, typer.Option(help="Empty folder for the rebuild.", parser=given_path)
    ],
    base: Annotated[
        Path | None,
        typer.Option(
            help="A fine-tune's base model (its weights are not in the bundle): the folder it "
            "was fine-tuned from, or a copy of it; a base that is one of our releases also as "
            "that release's folder, its bundle, or a plain copy of its model folder.",
            parser=given_path,
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            help="Public key (.pub) of the publisher: the signature must match it before "
            "anything is rebuilt.",
            parser=given_path,
        ),
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option(
            help="Python interpreter that runs the rebuild, e.g. a venv made from the bundle's "
            "training-code/requirements.lock (default: the one running gemeingut).",
            parser=given_path,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rebuild BUNDLE from its own code, recipe and data, and compare artifact by artifact; a
    fine-tune of a foreign base also needs --base. The libraries the rebuild runs with are
    compared with the bundle's requirements.lock first."""
    import json

    from gemeingut.release.reproduce import reproduce as run

    results = run(bundle, workspace, base, key, python)
    if as_json:
        rows = [{**vars(r), "equal": r.equal} for r in results]
        summary = {"artifacts": rows, "environment": results.environment.as_json()}
        typer.echo(json.dumps(summary, indent=2))
    for mark, line in [] if as_json else compared_lines(results, results.environment):
        say(mark, line)
    if not all(r.equal for r in results):
        raise typer.Exit(1)
