"""`gemeingut audit`: capability tasks, bias, memorisation, red team and community findings.

Every suite command takes a model folder (or artifact, or release bundle) or, with
`--endpoint`, any OpenAI-compatible server; `audit run` runs several suites into one audit
artifact. Settings come from options or from a TOML file with the keys of a recipe's `[audit]`.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from gemeingut.audit.report_markdown import rerun_command
from gemeingut.cli.app import audit_app, findings_app
from gemeingut.cli.common import JsonFlag, OutDir, given_path, report, say, user_errors
from gemeingut.errors import InputError
from gemeingut.i18n import _, plural
from gemeingut.workspace import at

ModelArg = Annotated[
    Path | None,
    typer.Argument(
        help="Model folder, model artifact or release bundle (or use --endpoint).",
        parser=given_path,
    ),
]
Endpoint = Annotated[
    str | None,
    typer.Option(help="Base URL of an OpenAI-compatible server, e.g. http://host:8000/v1."),
]
ModelName = Annotated[
    str | None, typer.Option(help="The endpoint's model id (with --endpoint); a folder's name.")
]
ApiKeyEnv = Annotated[
    str, typer.Option(help="Environment variable that holds the endpoint's API key, if any.")
]
Tokenizer = Annotated[
    Path | None,
    typer.Option(help="Tokenizer folder for an endpoint that lends none.", parser=given_path),
]
TrainingData = Annotated[
    Path | None,
    typer.Option(
        help="The model's training documents (dataset artifact, Parquet or JSONL).",
        parser=given_path,
    ),
]
Config = Annotated[
    Path | None, typer.Option(help="TOML with the keys of a recipe's [audit].", parser=given_path)
]
Seed = Annotated[int | None, typer.Option(help="Seed for sampling and planted values.")]
Device = Annotated[
    str | None,
    typer.Option(help="Where a model folder runs: auto (the GPU if torch sees one), cpu, cuda."),
]


def _recorded_command(options: dict[str, Any]) -> str:
    """The command as the report records it: no path of this machine where one was typed
    absolute (`recorded_arguments`)."""
    from gemeingut.audit.run import recorded_arguments

    paths = {value for value in options.values() if isinstance(value, Path)}
    other_values = frozenset(  # options whose value is no path (`--suite bias --out bias`)
        "--" + name.replace("_", "-")
        for name, value in options.items()
        if value is not None and not isinstance(value, Path | bool)
    )
    arguments, ran_in = recorded_arguments(
        sys.argv[1:], paths, Path.cwd(), options["out"], other_values
    )
    return rerun_command(arguments, ran_in, options["out"])


def _run(
    options: dict[str, Any], overrides: dict[str, Any], memorisation_only: bool = False
) -> None:
    """Run one audit. `options` are the command's own arguments (its `locals()`): model or
    endpoint and how to reach it, out, config, as_json; `overrides` are its suite settings;
    `memorisation_only`: `audit memorisation`, which refuses to check nothing."""
    from gemeingut.audit.key_refused import KeyRefused
    from gemeingut.recipe import audit_section
    from gemeingut.release.audit_folder import published, write_audit_manifest
    from gemeingut.stages import audit_stage

    section = audit_section(options["config"], {**overrides, "device": options["device"]})
    subject = _subject(
        options["model"],
        options["endpoint"],
        options["model_name"],
        options["api_key_env"],
        options.get("tokenizer"),
        options.get("training_data"),
    )
    if memorisation_only:
        _refuse_memorisation_unknown(subject, section)
    try:
        artifact, reused = audit_stage(
            at(options["out"]), subject, section, _recorded_command(options)
        )
    except KeyRefused as refused:  # the variable is named here, where it was read
        raise refused.naming(options["api_key_env"]) from None
    # a folder to publish, as a release bundle is: signed and verified by anyone
    listed = write_audit_manifest(artifact.path)
    report("audit", artifact, reused, options["as_json"])
    if not options["as_json"]:
        if reused:  # an audit that ran said each suite's results as it finished
            from gemeingut.audit.console_lines import summary

            summary(artifact.stats)
        say(" ", _("report: {path} (English: report.en.md)", path=artifact.path / "report.de.md"))
        if listed is not None:
            say(" ", published(artifact.path, listed))


def _refuse_memorisation_unknown(subject: Any, section: Any) -> None:
    """`audit memorisation` with neither training documents nor canaries would check nothing
    it is named for; `audit run` says so in its report instead ("not checked")."""
    if not subject.training_files and section.memorisation.canaries is None:
        raise InputError(
            _("the training documents of {model} are not known", model=subject.name),
            _(
                "pass --training-data (a dataset artifact, Parquet or JSONL) or --canaries; "
                "memorisation compares the model's answers with them"
            ),
        )


def _subject(
    model: Path | None,
    endpoint: str | None,
    name: str | None,
    api_key_env: str,
    tokenizer: Path | None,
    training_data: Path | None,
) -> Any:
    from gemeingut.audit import subject

    if (model is None) == (endpoint is None):
        raise InputError(
            _("name either a model folder or --endpoint URL"),
            _(
                "e.g. `gemeingut audit bias models/my-model --out audit/` or "
                "`--endpoint http://127.0.0.1:8000/v1 --model-name my-model`"
            ),
        )
    if endpoint is not None:
        key = os.environ.get(api_key_env)
        return subject.endpoint(endpoint, name, key, tokenizer, training_data)
    assert model is not None
    return subject.model_folder(model, name, training_data)


# the red team's probes as a plain transcript, for a model without a chat template
PlainPrompts = Annotated[
    bool | None,
    typer.Option(
        "--plain-prompts/--chat",
        help="How the red team's probes reach the model: --plain-prompts as a plain transcript "
        "(for a model without a chat template), --chat through its chat template (default).",
    ),
]


@audit_app.command("run")
@user_errors
def audit_run(
    out: OutDir,
    model: ModelArg = None,
    endpoint: Endpoint = None,
    model_name: ModelName = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    tokenizer: Tokenizer = None,
    training_data: TrainingData = None,
    config: Config = None,
    device: Device = None,
    suite: Annotated[
        list[str] | None, typer.Option(help="tasks, bias, memorisation, redteam; repeatable.")
    ] = None,
    findings: Annotated[
        Path | None, typer.Option(help="Community findings file.", parser=given_path)
    ] = None,
    plain_prompts: PlainPrompts = None,
    seed: Seed = None,
    as_json: JsonFlag = False,
) -> None:
    """Run several suites (default: all four) into one audit artifact with a report."""
    overrides = {
        "suites": suite,
        "findings": str(findings) if findings else None,
        "redteam.plain_prompts": plain_prompts,
        "seed": seed,
    }
    _run(locals(), overrides)


@audit_app.command("tasks")
@user_errors
def audit_tasks(
    out: OutDir,
    model: ModelArg = None,
    endpoint: Endpoint = None,
    model_name: ModelName = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    tokenizer: Tokenizer = None,
    training_data: TrainingData = None,
    task: Annotated[list[str] | None, typer.Option(help="Task name; repeatable.")] = None,
    limit: Annotated[int | None, typer.Option(help="Items per task.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Requests per batch.")] = None,
    data: Annotated[
        Path | None, typer.Option(help="Folder of task data (default: ours).", parser=given_path)
    ] = None,
    config: Config = None,
    device: Device = None,
    as_json: JsonFlag = False,
) -> None:
    """German capability tasks, scored by lm-evaluation-harness (hf or local-completions)."""
    overrides = {
        "suites": ["tasks"],
        "tasks.names": task,
        "tasks.limit": limit,
        "tasks.batch_size": batch_size,
        "tasks.suite": str(data) if data else None,
    }
    _run(locals(), overrides)


@audit_app.command("bias")
@user_errors
def audit_bias(
    out: OutDir,
    model: ModelArg = None,
    endpoint: Endpoint = None,
    model_name: ModelName = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    pairs: Annotated[
        Path | None,
        typer.Option(
            help="JSONL suite(s) or a CrowS-Pairs CSV (default: ours).", parser=given_path
        ),
    ] = None,
    config: Config = None,
    device: Device = None,
    as_json: JsonFlag = False,
) -> None:
    """Minimal-pair bias suites scored by log-likelihood, per category with intervals."""
    overrides = {"suites": ["bias"], "bias.suite": str(pairs) if pairs else None}
    _run(locals(), overrides)


@audit_app.command("memorisation")
@user_errors
def audit_memorisation(
    out: OutDir,
    model: ModelArg = None,
    endpoint: Endpoint = None,
    model_name: ModelName = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    training_data: TrainingData = None,
    samples: Annotated[
        int | None, typer.Option(help="Training documents sampled from each source (200).")
    ] = None,
    prefix_tokens: Annotated[
        int | None, typer.Option(help="k: tokens of a document given as the prompt (50).")
    ] = None,
    continuation_tokens: Annotated[
        int | None,
        typer.Option(help="m: tokens of the document's continuation compared to the answer (50)."),
    ] = None,
    random_offset: Annotated[
        bool | None,
        typer.Option(
            "--random-offset/--document-start",
            help="Take the prompt from a seeded offset in each document, or from its start "
            "(default).",
        ),
    ] = None,
    canaries: Annotated[
        Path | None,
        typer.Option(
            help="canaries.secret.json from `gemeingut audit canaries`.", parser=given_path
        ),
    ] = None,
    candidates: Annotated[
        int | None, typer.Option(help="Secrets a canary is ranked among.")
    ] = None,
    seed: Seed = None,
    config: Config = None,
    device: Device = None,
    as_json: JsonFlag = False,
) -> None:
    """Discoverable memorisation of training documents, span tracing, personal data."""
    overrides = {
        "suites": ["memorisation"],
        "memorisation.samples": samples,
        "memorisation.prefix_tokens": prefix_tokens,
        "memorisation.continuation_tokens": continuation_tokens,
        "memorisation.random_offset": random_offset,
        "memorisation.canaries": str(canaries) if canaries else None,
        "memorisation.candidates": candidates,
        "seed": seed,
    }
    _run(locals(), overrides, memorisation_only=True)


@audit_app.command("redteam")
@user_errors
def audit_redteam(
    out: OutDir,
    model: ModelArg = None,
    endpoint: Endpoint = None,
    model_name: ModelName = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    probes: Annotated[
        Path | None, typer.Option(help="Probe JSONL file or folder.", parser=given_path)
    ] = None,
    per_category: Annotated[
        int | None, typer.Option(help="Probes per category and language (default: all).")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Answer length (128).")] = None,
    plain_prompts: PlainPrompts = None,
    seed: Seed = None,
    config: Config = None,
    device: Device = None,
    as_json: JsonFlag = False,
) -> None:
    """Red-team probes (German and English), detectors, attack-success rates, garak report."""
    overrides = {
        "suites": ["redteam"],
        "redteam.suite": str(probes) if probes else None,
        "redteam.per_category": per_category,
        "redteam.max_tokens": max_tokens,
        "redteam.plain_prompts": plain_prompts,
        "seed": seed,
    }
    _run(locals(), overrides)


@audit_app.command("canaries")
@user_errors
def audit_canaries(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the documents and the record.", parser=given_path),
    ],
    count: Annotated[int, typer.Option(help="Canaries to plant.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the made-up secrets.")] = 0,
) -> None:
    """Write canary documents to curate with your data, and the record of their secrets."""
    from gemeingut.audit.canaries import DOCUMENTS_FILE, RECORD_FILE, make_canaries

    make_canaries(out, count, seed)
    say(
        "[green]✓[/]",
        f"{count} canaries: curate {out / DOCUMENTS_FILE} as a source; keep "
        f"{out / RECORD_FILE} apart, and audit with --canaries {out / RECORD_FILE}",
    )


@audit_app.command("trace")
@user_errors
def audit_trace(
    model: Annotated[
        Path, typer.Argument(help="Model folder, artifact or release bundle.", parser=given_path)
    ],
    text: Annotated[str, typer.Option(help="Generated text to trace.")],
    training_data: TrainingData = None,
    min_tokens: Annotated[int, typer.Option(help="Shortest span reported.")] = 8,
    as_json: JsonFlag = False,
) -> None:
    """Which spans of TEXT occur verbatim in the model's training documents, and where."""
    from transformers import AutoTokenizer

    from gemeingut.audit.span_trace import SpanIndex, trace_phrase
    from gemeingut.audit.subject import iter_documents, model_folder

    folder = model_folder(model, None, training_data)
    if not folder.training_files or folder.model_dir is None:
        raise InputError(
            _("the training documents of {model} are not known", model=model),
            _("pass --training-data (a dataset artifact, Parquet or JSONL)"),
        )
    tok = AutoTokenizer.from_pretrained(str(folder.model_dir))

    def tokenize(value: str) -> list[int]:
        return tok(value, add_special_tokens=False)["input_ids"]

    index = SpanIndex.build(iter_documents(folder.training_files), tokenize)
    spans = trace_phrase(index, text, tokenize, tok.decode, min_tokens)[1]
    if as_json:
        typer.echo(json.dumps(spans, indent=2, ensure_ascii=False))
        return
    if not spans:
        say(
            "[green]✓[/]",
            _("no span of {count} or more tokens occurs in the training data", count=min_tokens),
        )
    for span in spans:
        where = _documents_said(span["documents"])
        found = _(
            "{tokens} tokens, {count}×: {span!r} in {where}",
            tokens=span["tokens"],
            count=span["occurrences"],
            span=span["text"],
            where=where,
        )
        say("•", found)


def _documents_said(located: list[dict[str, Any]]) -> str:
    """Each document a span was located in once, with how often it is there where more than
    once (the trace lists every occurrence, a document that repeats a phrase many times)."""
    counts = Counter(f"{d['id']} ({d['license']})" for d in located)
    return "; ".join(name if n == 1 else f"{name} {n}×" for name, n in counts.items())


@findings_app.command("import")
@user_errors
def findings_import(
    sources: Annotated[
        list[Path],
        typer.Argument(
            help="Submissions: JSONL or CSV files. Each line or row has the fields category "
            "(bias, harmful, wrong, privacy or other), prompt and response, and may have model, "
            "reporter, reported_at and note.",
            parser=given_path,
        ),
    ],
    into: Annotated[
        Path, typer.Option(help="Findings file to add to (created if missing).", parser=given_path)
    ],
    model: Annotated[str | None, typer.Option(help="Model id for rows that name none.")] = None,
    reporter: Annotated[str | None, typer.Option(help="Reporter for rows that name none.")] = None,
) -> None:
    """Add a campaign's submissions to a findings file (new ids, duplicates marked)."""
    from gemeingut.audit.findings import import_findings

    counts = import_findings(sources, into, model, reporter)
    added = plural(
        counts["added"],
        _("1 finding added"),
        _("{count} findings added", count=counts["added"]),
    )
    duplicates = plural(
        counts["duplicates"],
        _("1 duplicate"),
        _("{count} duplicates", count=counts["duplicates"]),
    )
    total = plural(counts["total"], _("1 finding"), _("{count} findings", count=counts["total"]))
    imported = _(
        "{added} ({duplicates} among them); {path} now holds {total}",
        added=added,
        duplicates=duplicates,
        path=into,
        total=total,
    )
    say("[green]✓[/]", imported)


@findings_app.command("triage")
@user_errors
def findings_triage(
    file: Annotated[Path, typer.Argument(help="Findings file.", parser=given_path)],
    finding: Annotated[str, typer.Argument(help="Finding id.")],
    status: Annotated[str, typer.Option(help="new, confirmed or rejected.")],
    duplicate_of: Annotated[str | None, typer.Option(help="Id of the finding it repeats.")] = None,
    note: Annotated[str | None, typer.Option(help="Why (shown with the finding).")] = None,
) -> None:
    """Set a finding's status after checking it."""
    from gemeingut.audit.findings import STATUS_NAMES, triage

    changed = triage(file, finding, status, duplicate_of, note)
    status_name = STATUS_NAMES[changed["status"]]
    say("[green]✓[/]", _("Finding {id}: {status}", id=changed["id"], status=status_name))


@findings_app.command("merge")
@user_errors
def findings_merge(
    sources: Annotated[list[Path], typer.Argument(help="Findings files.", parser=given_path)],
    out: Annotated[Path, typer.Option("--out", help="Merged findings file.", parser=given_path)],
) -> None:
    """Join findings files; for a finding in several, its latest update wins."""
    from gemeingut.audit.findings import merge

    counts = merge(sources, out)
    findings = plural(
        counts["findings"],
        _("1 finding"),
        _("{count} findings", count=counts["findings"]),
    )
    files = plural(counts["sources"], _("1 file"), _("{count} files", count=counts["sources"]))
    merged = _("{findings} from {files} in {path}", findings=findings, files=files, path=out)
    say("[green]✓[/]", merged)
