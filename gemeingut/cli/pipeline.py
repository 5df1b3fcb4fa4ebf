"""The whole build and the stages after training: build, evaluate, release, verify, serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gemeingut.cli.app import app
from gemeingut.cli.common import (
    JsonFlag,
    OutDir,
    given_path,
    given_policy,
    report,
    say,
    user_errors,
)
from gemeingut.i18n import _, current_language, localized
from gemeingut.recipe import (
    EvaluateSection,
)
from gemeingut.serve.limits import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_UPLOADS,
    DEFAULT_MAX_WAITING,
    MOST_DAYS,
)
from gemeingut.workspace import at, load_artifact


@app.command()
@user_errors
def build(
    recipe: Annotated[
        Path, typer.Argument(help="Recipe TOML describing the whole build.", parser=given_path)
    ],
    workspace: Annotated[Path, typer.Option(help="Workspace directory.", parser=given_path)] = Path(
        "workspace"
    ),
    sign_key: Annotated[
        Path | None,
        typer.Option(
            help="Private key (`gemeingut keys create`) that signs the release bundle.",
            parser=given_path,
        ),
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="A curated dataset artifact to start from instead of the sources.",
            parser=given_path,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run every stage of RECIPE that is missing in the workspace (finished ones are reused)."""
    from gemeingut.build import build as run_build
    from gemeingut.model.distributed import lead_or_follow

    if sign_key is not None:  # a key that cannot sign is refused before hours of building
        from gemeingut.release.signing import load_private_key

        load_private_key(sign_key)
    given = load_artifact(dataset, "dataset") if dataset is not None else None
    # Under torchrun only rank 0 builds; the other ranks join the training stage and return.
    result = lead_or_follow(lambda: run_build(recipe, workspace, given))
    if result is None:
        return
    if sign_key is not None:
        from gemeingut.release.layout import locate_bundle
        from gemeingut.release.signing import sign_bundle

        signature = sign_bundle(locate_bundle(Path(result["release"]["path"])), sign_key)
        result["release"]["signature"] = str(signature)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        say(
            "[green]✓[/]",
            _("release bundle: {path}", path=Path(result["release"]["path"]) / "bundle"),
        )


@app.command()
@user_errors
def evaluate(
    model: Annotated[
        Path, typer.Argument(help="Model or adapter artifact directory.", parser=given_path)
    ],
    dataset: Annotated[
        Path, typer.Option(help="Dataset artifact with the test split.", parser=given_path)
    ],
    out: OutDir,
    batch_size: int = 8,
    as_json: JsonFlag = False,
) -> None:
    """Loss, perplexity and bits per byte of MODEL on the held-out test split."""
    from gemeingut.stages import evaluate_stage

    artifact, reused = evaluate_stage(
        at(out),
        load_artifact(model, ("model", "adapter")),
        load_artifact(dataset, "dataset"),
        EvaluateSection(batch_size=batch_size),
    )
    report("evaluation", artifact, reused, as_json)
    if not as_json:
        s = artifact.stats
        scores = _(
            "loss {loss}, perplexity {perplexity}, bits per byte {bpb}",
            loss=localized(f"{s['loss']:.4f}", current_language()),
            perplexity=localized(f"{s['perplexity']:.2f}", current_language()),
            bpb=localized(f"{s['bits_per_byte']:.4f}", current_language()),
        )
        say(" ", scores)


@app.command()
@user_errors
def serve(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Model directory, release bundle or artifact (or use --upstream).",
            parser=given_path,
        ),
    ] = None,
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    model_name: Annotated[str | None, typer.Option(help="Name the API reports.")] = None,
    also: Annotated[
        list[str] | None,
        typer.Option(
            "--also",
            metavar="[NAME=]PATH",
            help="Another model to serve beside PATH (repeatable), named as PATH is (a "
            "release by its model name, else by its folder) or NAME; a request's `model` "
            "picks it, /v1/models lists each with its openness.",
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="CPU threads for the model (default: torch's).")
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(help="Where the model runs: auto (the GPU if torch sees one), cpu, cuda."),
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(
            help="fp32 (the default), bf16 (autocast), or auto (bf16 where the GPU or CPU has "
            "bf16 units)."
        ),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Host name clients may address besides loopback and --host (repeatable; the "
            "name behind your reverse proxy). '*' allows any: only behind a proxy that checks."
        ),
    ] = None,
    max_body_mb: Annotated[
        float, typer.Option(min=0.001, help="Largest request body accepted, in MiB.")
    ] = DEFAULT_MAX_BODY_BYTES / 1024 / 1024,
    max_waiting: Annotated[
        int, typer.Option(min=0, help="Requests that may wait for the model; more get 503.")
    ] = DEFAULT_MAX_WAITING,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1, help="Open connections (idle or slow ones too) per worker; more get 503."
        ),
    ] = DEFAULT_MAX_CONNECTIONS,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes that serve a gateway in front of --upstream together (one socket, "
            "one database; /metrics sums them all).",
        ),
    ] = 1,
    db: Annotated[
        str | None,
        typer.Option(
            envvar="GEMEINGUT_DB",
            help="Database of users, keys, quotas and the audit log (SQLite file or "
            "postgresql:// URL): with it every request needs a key. See `gemeingut admin`.",
        ),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(
            help="Safety policy to apply and publish at /v1/policy: a YAML file, or `default` "
            "for the one shipped (personal data redacted, mass-harm weapons refused).",
            parser=given_policy,
        ),
    ] = None,
    audit_retention_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MOST_DAYS,
            help="With --db: delete audit records older than this many days (hourly). Stored "
            "in the database for all of its servers: without the option a server uses the "
            "stored value, with another one it is refused (`admin audit retention` changes it).",
        ),
    ] = None,
    content_log_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MOST_DAYS,
            help="With --db: also keep what was asked and answered, pseudonymised, for this "
            "many days (off by default; shown at /v1/policy and in the Art. 30 record). Stored "
            "like --audit-retention-days (`admin content retention` changes it).",
        ),
    ] = None,
    upstream: Annotated[
        str | None,
        typer.Option(
            help="An OpenAI-compatible engine to put the gateway in front of (vLLM, "
            "llama-server, Ollama, another gemeingut serve), e.g. http://gpu-node:8000."
        ),
    ] = None,
    upstream_model: Annotated[
        str | None, typer.Option(help="The engine's model to serve (default: its first).")
    ] = None,
    upstream_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the engine's API key.")
    ] = None,
    model_card: Annotated[
        Path | None,
        typer.Option(
            help="With --upstream: the folder (or release bundle) of the engine's model, rated "
            "at start as `openness rate` does, so that /v1/models shows its licence and class.",
            parser=given_path,
        ),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Serve a non-loopback address without keys or audit log."),
    ] = False,
    collections: Annotated[
        Path | None,
        typer.Option(
            help="Folder of document collections (rag ingest --root) to search.", parser=given_path
        ),
    ] = None,
    upload_max_mb: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            help="With --collections: people of a collection's groups may add, replace and "
            "remove its documents on the page (and POST /v1/collections/NAME/documents), files "
            "of up to this many MiB (default: documents come only through `rag ingest`).",
        ),
    ] = None,
    max_uploads: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --upload-max-mb: documents that the server reads, chunks and embeds at "
            "once, all its --workers and other servers of the same --collections together "
            "(each holds its file in memory and a thread); one more gets 503 with Retry-After.",
        ),
    ] = DEFAULT_MAX_UPLOADS,
    findings: Annotated[
        Path | None,
        typer.Option(
            help="Findings file (JSONL) that people's reports from the page go into.",
            parser=given_path,
        ),
    ] = None,
    triage_group: Annotated[
        str, typer.Option(help="The group whose members confirm or reject findings.")
    ] = "triage",
    header_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a connection may take to send its request headers."),
    ] = 10.0,
    reranker: Annotated[
        Path | None,
        typer.Option(
            help="A cross-encoder folder that orders the collections' best chunks again.",
            parser=given_path,
        ),
    ] = None,
    tender_rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--tender-rules",
            help="A YAML file of the office's own tender rules, as `assist tender --rules` takes "
            "them (repeatable; same id replaces a shipped one): the page's and "
            "/v1/assist/tender's check uses them.",
            parser=given_path,
        ),
    ] = None,
    trace_data: Annotated[
        Path | None,
        typer.Option(
            help="The model's training documents (a dataset artifact, a release bundle's "
            "training-data/, Parquet or JSONL): /v1/trace and the page show where a phrase "
            "occurs in them.",
            parser=given_path,
        ),
    ] = None,
    oidc_issuer: Annotated[
        str | None,
        typer.Option(
            help="With --db: people sign in to the page through this OpenID Connect provider "
            "(its issuer URL, e.g. https://sso.example.de/realms/staff); users must exist."
        ),
    ] = None,
    oidc_client_id: Annotated[
        str | None, typer.Option(help="This server's client id at the provider.")
    ] = None,
    oidc_client_secret_env: Annotated[
        str | None,
        typer.Option(
            help="Environment variable holding the client secret (none: a public client)."
        ),
    ] = None,
    oidc_user_claim: Annotated[
        str | None,
        typer.Option(
            help="The ID token's claim that names the gemeingut user: `sub` (stable, opaque) or "
            "`preferred_username` (only where people cannot change it at the provider)."
        ),
    ] = None,
    oidc_redirect_url: Annotated[
        str | None,
        typer.Option(
            help="The callback URL registered at the provider, as the browser reaches it behind "
            "your proxy (default: this server's own /auth/oidc/callback)."
        ),
    ] = None,
    oidc_groups_claim: Annotated[
        str | None,
        typer.Option(
            help="The ID token's claim listing the person's groups (e.g. `groups`): at each "
            "sign-in the user's memberships become those of its groups that exist here."
        ),
    ] = None,
) -> None:
    """Serve a model with an OpenAI-compatible API (/v1/chat/completions, /v1/completions).

    Without --db the server is open to whoever can reach it, which is only allowed on a
    loopback address (this machine) unless --no-auth says so."""
    from gemeingut.serve.oidc import oidc_settings
    from gemeingut.serve.runner import also_models, run_server

    source = ctx.get_parameter_source("db")  # GEMEINGUT_DB, not --db: the start says so
    run_server(
        path,
        host=host,
        port=port,
        model_name=model_name,
        threads=threads,
        device=device,
        precision=precision,
        extra_hosts=tuple(allowed_host or ()),
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_waiting=max_waiting,
        db=db,
        db_from_env=source is not None and source.name == "ENVIRONMENT",
        open_access=no_auth,
        policy=policy,
        upstream=upstream,
        upstream_model=upstream_model,
        upstream_key_env=upstream_key_env,
        model_card=model_card,
        max_connections=max_connections,
        workers=workers,
        audit_retention_days=audit_retention_days,
        content_log_days=content_log_days,
        collections=collections,
        upload_max_bytes=int(upload_max_mb * 1024 * 1024) if upload_max_mb is not None else None,
        max_uploads=max_uploads,
        findings=findings,
        triage_group=triage_group,
        trace_data=trace_data,
        header_timeout=header_timeout,
        reranker=reranker,
        also=also_models(tuple(also or ()), path, model_name),
        tender_rules=tuple(tender_rules or ()),
        oidc=oidc_settings(
            oidc_issuer,
            oidc_client_id,
            oidc_client_secret_env,
            oidc_user_claim,
            oidc_redirect_url,
            oidc_groups_claim,
        ),
    )
