"""`gemeingut assist`: the assistants for administrative work (tender check, memo, speech)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from gemeingut.apps.rag.endpoint import endpoint_key, waiting_on_limits
from gemeingut.cli.app import assist_app
from gemeingut.cli.common import JsonFlag, given_path, say, user_errors
from gemeingut.cli.piped import read_standard_input
from gemeingut.cli.rag import ModeOption, Name, Root, checked_mode
from gemeingut.i18n import _, current_language, text
from gemeingut.progress import console, result_console

if TYPE_CHECKING:
    from gemeingut.apps.assistants.drafts import Draft, DraftRequest
    from gemeingut.apps.assistants.tender import Finding

_SEVERITY = {"error": "[red]✗[/]", "warning": "[yellow]![/]", "hint": "[blue]i[/]"}


@assist_app.command("tender")
@user_errors
def tender_command(
    draft: Annotated[
        Path,
        typer.Argument(
            help="The tender draft (PDF, DOCX, ODT, HTML, …); - reads it as text from standard "
            "input.",
            parser=given_path,
        ),
    ],
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules",
            help="A YAML file of own rules (same id replaces a shipped one).",
            parser=given_path,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check a tender draft against procurement rules kept as data; exit 1 on an error.
    Findings are in the language of the messages (`gemeingut --lang en assist tender …`).
    Given `-`, the draft is read from standard input as text (`cat entwurf.txt | gemeingut
    assist tender -`)."""
    from gemeingut.apps.assistants.tender import check_piped, check_tender, load_rules
    from gemeingut.errors import InputError

    piped = str(draft) == "-"  # as Unix tools read it: standard input
    if not piped and not draft.is_file():
        raise InputError(
            _("{path}: no such file", path=str(draft)), _("pass the tender draft's path")
        )
    for path in rules or []:
        if not path.is_file():
            raise InputError(
                _("{path}: no such file", path=str(path)), _("pass the path of a YAML rule file")
            )
    lang = current_language()
    if piped:
        typed = read_standard_input(
            _("Reading the tender draft from standard input (type or paste it)")
        )
        findings = check_piped(typed, load_rules(rules), language=lang)
    else:
        findings = check_tender(draft, load_rules(rules), language=lang)
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False))
    else:
        for f in findings:
            where = _where(f, lang)
            result_console.print(
                f"{_SEVERITY[f.severity]} [bold]{escape(f.title)}[/] ({escape(f.source)})"
            )
            if f.passage:
                place = f"{escape(where)}: " if where else ""
                # a PDF's sentence keeps its line breaks (the JSON too): one line here
                passage = " ".join(f.passage.split())
                quoted = text(_("“{passage}”", passage=passage), lang)  # German: „…“
                result_console.print(f"    {place}{escape(quoted)}", highlight=False)
            result_console.print(f"    {escape(f.advice)}", highlight=False)
        if not findings:
            result_console.print("[green]✓[/] " + text(_("no findings"), lang))
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


def _where(f: Finding, lang: str) -> str:
    """Where a finding's sentence stands: its page or line, and the section it is under
    („S. 2 (3. Zuschlagskriterien)“), so that the person finds it in the draft."""
    if f.page:
        at = text(_("page {page}", page=f.page), lang)
    elif f.line:  # a text file
        at = text(_("line {line}", line=f.line), lang)
    else:
        return f.section or ""
    return f"{at} ({f.section})" if f.section else at


Subject = Annotated[str, typer.Option("--subject", help="What the draft is about.")]
Endpoint = Annotated[
    str,
    typer.Option(
        help="OpenAI-compatible endpoint that writes the sections; its key is read from "
        "GEMEINGUT_API_KEY, else OPENAI_API_KEY."
    ),
]
Sources = Annotated[
    int,
    typer.Option(
        "-k", min=1, max=20, help="Sources to offer at most (a speech: at least one per key point)."
    ),
]
ModelId = Annotated[
    str | None, typer.Option(help="The endpoint's model id (default: its first that writes text).")
]
OutFile = Annotated[Path | None, typer.Option(help="Markdown file to write.", parser=given_path)]


@assist_app.command("vermerk")
@user_errors
def memo_command(
    name: Name,
    subject: Subject,
    root: Root = Path("collections"),
    k: Sources = 6,
    mode: ModeOption = "hybrid",
    endpoint: Endpoint = "http://127.0.0.1:8000/v1",
    model: ModelId = None,
    out: OutFile = None,
    as_json: JsonFlag = False,
) -> None:
    """A memo (Sachverhalt, Bewertung, Vorschlag) from collection NAME, each section's
    citations checked; exit 1 when a section lacks evidence. The endpoint's key is read from
    GEMEINGUT_API_KEY, else OPENAI_API_KEY (a server with accounts refuses a request without a
    valid key)."""
    from gemeingut.apps.assistants.drafts import DraftRequest

    _draft(DraftRequest("vermerk", subject), name, root, k, mode, endpoint, model, out, as_json)


@assist_app.command("rede")
@user_errors
def speech_command(
    name: Name,
    subject: Subject,
    audience: Annotated[str | None, typer.Option(help="Who listens.")] = None,
    occasion: Annotated[str | None, typer.Option(help="The occasion.")] = None,
    minutes: Annotated[int, typer.Option(min=1, max=60, help="Length in minutes.")] = 5,
    point: Annotated[
        list[str] | None, typer.Option("--point", help="A key point; repeat for more.")
    ] = None,
    root: Root = Path("collections"),
    k: Sources = 6,
    mode: ModeOption = "hybrid",
    endpoint: Endpoint = "http://127.0.0.1:8000/v1",
    model: ModelId = None,
    out: OutFile = None,
    as_json: JsonFlag = False,
) -> None:
    """A speech (opening, one part per key point, closing) from collection NAME, each part's
    citations checked; exit 1 when a part lacks evidence. The endpoint's key is read from
    GEMEINGUT_API_KEY, else OPENAI_API_KEY (a server with accounts refuses a request without a
    valid key)."""
    from gemeingut.apps.assistants.blank_fields import BlankField, blank
    from gemeingut.apps.assistants.drafts import DraftRequest

    for field, value in (("audience", audience), ("occasion", occasion)):
        if blank(value):  # given as "": not the same as left out
            raise BlankField(field)
    points = tuple(point or ())
    request = DraftRequest("rede", subject, audience or "", occasion or "", minutes, points)
    _draft(request, name, root, k, mode, endpoint, model, out, as_json)


def _draft(
    request: DraftRequest,
    name: str,
    root: Path,
    k: int,
    mode: str,
    endpoint: str,
    model: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    from gemeingut.apps.assistants.blank_fields import check_request
    from gemeingut.apps.assistants.drafts import DraftCutShort, render_markdown, write_draft
    from gemeingut.apps.rag.answer import Chat, ChatEndpoint
    from gemeingut.apps.rag.index import open_collection
    from gemeingut.workspace import write_text_atomic

    check_request(request)  # a blank subject or key point: before a collection or model
    collection = open_collection(root, name)
    lang = current_language()
    failed = None  # why the draft stops before its end: its parts written are still written
    with waiting_on_limits(), Chat(ChatEndpoint(endpoint, model, endpoint_key())) as chat:
        try:
            draft = write_draft(
                collection, request, chat.ask, chat.count, lang, k=k, mode=checked_mode(mode)
            )
        except DraftCutShort as cut:
            draft, failed = cut.draft, cut.cause
    if as_json:
        typer.echo(json.dumps(asdict(draft), indent=2, ensure_ascii=False))
    elif out is not None:
        write_text_atomic(out, render_markdown(draft, lang))
        if failed is None:
            console.print("[green]✓[/] " + text(_("draft written: {path}", path=str(out)), lang))
        else:
            say("[yellow]![/]", _("draft written as far as it got: {path}", path=str(out)))
    else:  # the Markdown says the note and each part's problems where they stand: once
        typer.echo(render_markdown(draft, lang))
    if as_json or out is not None:
        _say_problems(draft)
    if failed is not None:  # which parts are missing, then why and when to try again; exit 2
        missing = ", ".join(s.heading for s in draft.sections if not s.written)
        # a sentence, as the parts' problems above it (the error's line below is the CLI's)
        say("[yellow]![/]", _("Parts not written: {parts}.", parts=missing))
        raise failed
    if not draft.supported:
        raise typer.Exit(1)


def _say_problems(draft: Draft) -> None:
    """The draft's note and each part's problems, for a reader of the terminal who gets the
    draft as a file or as JSON."""
    from gemeingut.apps.assistants.drafts import shortened_note

    if draft.note:
        say("[yellow]![/]", draft.note)
    for section in draft.sections:
        if not section.written:
            continue  # the endpoint failed before it: the error says why, last
        if section.allowance is not None:
            say("[yellow]![/]", f"{section.heading}: {text(shortened_note(section.allowance))}")
        for problem in section.verdict.problems:
            say("[yellow]![/]", f"{section.heading}: {problem}")
