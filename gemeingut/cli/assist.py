"""`gemeingut assist`: the assistants for administrative work (tender check)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gemeingut.cli.app import assist_app
from gemeingut.cli.common import JsonFlag, user_errors
from gemeingut.i18n import _, current_language, text
from gemeingut.progress import console

_SEVERITY = {"error": "[red]✗[/]", "warning": "[yellow]![/]", "hint": "[blue]i[/]"}


@assist_app.command("tender")
@user_errors
def tender_command(
    draft: Annotated[Path, typer.Argument(help="The tender draft (PDF, DOCX, ODT, HTML, …).")],
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="A YAML file of own rules (same id replaces a shipped one)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check a tender draft against procurement rules kept as data; exit 1 on an error.
    Findings are in the language of the messages (`gemeingut --lang en assist tender …`)."""
    from gemeingut.apps.assistants.tender import check_tender, load_rules
    from gemeingut.errors import InputError

    if not draft.is_file():
        raise InputError(
            _("{path}: no such file", path=str(draft)), _("pass the tender draft's path")
        )
    lang = current_language()
    findings = check_tender(draft, load_rules(rules), language=lang)
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False))
    else:
        for f in findings:
            where = text(_("page {page}", page=f.page), lang) if f.page else (f.section or "")
            console.print(
                f"{_SEVERITY[f.severity]} [bold]{escape(f.title)}[/] ({escape(f.source)})"
            )
            if f.passage:
                console.print(f"    {escape(where)}: „{escape(f.passage)}“", highlight=False)
            console.print(f"    {escape(f.advice)}", highlight=False)
        if not findings:
            console.print("[green]✓[/] " + text(_("no findings"), lang))
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)
