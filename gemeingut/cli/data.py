"""`gemeingut data`: fetch, curate and publish openly licensed corpora."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gemeingut.cli.app import data_app
from gemeingut.cli.common import (
    JsonFlag,
    OutDir,
    given_path,
    given_source,
    report,
    say,
    user_errors,
)
from gemeingut.i18n import Message, _
from gemeingut.recipe import (
    SourceSpec,
    data_section,
    publication_info,
)
from gemeingut.workspace import at, load_artifact


@data_app.command("curate")
@user_errors
def data_curate(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL(.gz/.zst)/Parquet files, saved HF datasets or folders.", parser=given_path
        ),
    ],
    out: OutDir,
    license: Annotated[
        str | None, typer.Option(help="SPDX licence for documents without a `license` field.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Source url for documents without one.")] = None,
    attribution: Annotated[str | None, typer.Option(help="Attribution text.")] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="TOML with the keys of a recipe's [data] section.", parser=given_path),
    ] = None,
    validation_fraction: Annotated[float | None, typer.Option(help="Default 0.1.")] = None,
    test_fraction: Annotated[float | None, typer.Option(help="Default 0.1.")] = None,
    split_seed: Annotated[int | None, typer.Option(help="Default 0.")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes; default one per core.")] = None,
    executor: Annotated[
        str | None, typer.Option(help="local (default) or ray (RAY_ADDRESS or a local instance).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Licence-check, clean, de-duplicate and split INPUTS into a dataset artifact."""
    from gemeingut.data.source_licence import refuse_source_licence
    from gemeingut.stages import curate_stage, require_documents

    refuse_source_licence(license, "--license")  # before anything is read or written
    sources = [
        SourceSpec(
            name=_source_name(path, i),
            path=path.resolve(),
            license=license,
            url=url,
            attribution=attribution,
        )
        for i, path in enumerate(inputs)
    ]
    options = {
        "validation_fraction": validation_fraction,
        "test_fraction": test_fraction,
        "split_seed": split_seed,
        "workers": workers,
        "executor": executor,
    }
    artifact, reused = curate_stage(at(out), data_section(sources, config, options))
    report("dataset", artifact, reused, as_json)
    require_documents(artifact)
    if not as_json:
        from gemeingut.data.source_notes import curate_notes

        for said in [curate_summary(artifact.stats), *curate_notes(artifact.stats)]:
            say(" ", said)  # escaped: a source's name (`akten[entwurf]`) is no markup


def curate_summary(stats: dict[str, Any]) -> Message:
    """The curation's counts as a person reads them: each exclusion reason by its meaning (as
    the data statement gives it), its code beside it for `exclusions.parquet`."""
    from gemeingut.data.publish.reasons import reason_meaning

    counts = _(
        "{documents_in} in = {kept} kept + {excluded} excluded",
        documents_in=int(stats["documents_in"]),
        kept=int(stats["kept"]),
        excluded=int(stats["excluded"]),
    )
    reasons = sorted(stats.get("excluded_by_reason", {}).items(), key=lambda item: -item[1])
    if not reasons:
        return counts
    said = [
        _(
            "{count} × {reason} ({code})",
            count=int(count),
            reason=reason_meaning(code) or code,
            code=code,
        )
        for code, count in reasons
    ]
    listed = said[0]
    for reason in said[1:]:  # nested, each rendered in the language of the whole
        listed = _("{reasons}; {reason}", reasons=listed, reason=reason)
    return _("{counts}: {reasons}", counts=counts, reasons=listed)


@data_app.command("fetch")
@user_errors
def data_fetch(
    url: Annotated[
        str,
        typer.Argument(
            help="https URL of an archive or file, a git repository, a path.",
            parser=given_source,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder to fetch into: new, empty, or an earlier fetch.",
            parser=given_path,
        ),
    ],
    revision: Annotated[
        str | None, typer.Option(help="Git branch, tag or commit (git sources only).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch a public source into a folder; FETCH.json records URL, commit or sha256, and files."""
    from gemeingut.data.fetch import fetch

    record = fetch(url, out, revision)
    if as_json:
        summary = {**record.to_json(), "path": str(out), "reused": record.reused}
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        pin = f"commit {record.commit}" if record.commit else f"sha256 {record.sha256}"
        where = {"kind": record.kind, "path": out, "files": len(record.files), "pin": pin}
        if record.reused:
            say("[green]✓[/]", _("{kind} reused: {path} ({files} files, {pin})", **where))
        else:
            say("[green]✓[/]", _("{kind} fetched: {path} ({files} files, {pin})", **where))


@data_app.command("publish")
@user_errors
def data_publish(
    dataset: Annotated[Path, typer.Argument(help="Dataset artifact directory.", parser=given_path)],
    info: Annotated[
        Path,
        typer.Option(
            help="TOML with the [data.publication] keys (or a whole recipe).", parser=given_path
        ),
    ],
    out: OutDir,
    as_json: JsonFlag = False,
) -> None:
    """Write DATA_STATEMENT.md, croissant.json, dcat.ttl and NOTICE beside a copy of the data."""
    from gemeingut.stages import publish_stage

    info_read = publication_info(info)  # before the dataset: a mistyped --info said first
    artifact, reused = publish_stage(at(out), load_artifact(dataset, "dataset"), info_read)
    report("publication", artifact, reused, as_json)
    missing = artifact.stats.get("missing_fields", [])
    if missing and not as_json:
        say(" ", _("prose not given (marked as missing): {fields}", fields=", ".join(missing)))


def _source_name(path: Path, index: int) -> str:
    stem = path.name.split(".")[0] or f"source{index}"
    return f"{stem}" if index == 0 else f"{stem}-{index}"
