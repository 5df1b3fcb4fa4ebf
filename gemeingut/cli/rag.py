"""`gemeingut rag`: document collections, retrieval with checked citations, retrieval quality."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from gemeingut.apps.rag.endpoint import endpoint_key, waiting_on_limits
from gemeingut.cli.app import rag_app
from gemeingut.cli.common import JsonFlag, given_path, given_source, say, user_errors
from gemeingut.cli.piped import read_standard_input
from gemeingut.i18n import (
    LANGUAGES,
    Message,
    _,
    current_language,
    decimal,
    plural,
    quoted,
    text,
)
from gemeingut.i18n.visible import visible
from gemeingut.progress import result_console

if TYPE_CHECKING:
    from gemeingut.apps.rag.cuts import Cut
    from gemeingut.apps.rag.index import Collection
    from gemeingut.apps.rag.ingest import IngestReport
    from gemeingut.apps.rag.retrieve import Hit

Root = Annotated[
    Path,
    typer.Option(
        "--root",
        envvar="GEMEINGUT_COLLECTIONS",
        help="Folder that holds the collections.",
        parser=given_path,
    ),
]
Name = Annotated[str, typer.Argument(help="The collection's name.")]
ModeOption = Annotated[str, typer.Option("--mode", help="hybrid, bm25 or dense.")]
SKIPPED = _("skipped:")
SHOWN_UNSUPPORTED = 5  # files named per unsupported type
# characters of a hit shown by `rag query`: those of its sentences that hold most of the
# question's words, whole and in order, the rest left out at "…" (--json has it whole)
SHOWN = 400
Rerank = Annotated[
    Path | None,
    typer.Option(
        "--rerank",
        help="A cross-encoder folder that orders the best chunks again.",
        parser=given_path,
    ),
]


@rag_app.command("ingest")
@user_errors
@waiting_on_limits()  # an endpoint's requests-per-minute limit is waited out
def ingest_command(
    name: Name,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files or folders (PDF, DOCX, ODT, …).", parser=given_path),
    ],
    root: Root = Path("collections"),
    group: Annotated[
        list[str] | None, typer.Option("--group", help="A group that may see the collection.")
    ] = None,
    language: Annotated[str, typer.Option(help="de or en: stop words and stemming.")] = "de",
    embed: Annotated[
        str | None,
        typer.Option(
            help="Dense vectors from a model folder or an endpoint URL (…/v1).",
            parser=given_source,
        ),
    ] = None,
    embed_model: Annotated[str | None, typer.Option(help="The endpoint's model id.")] = None,
    query_prompt: Annotated[
        str | None,
        typer.Option(
            help="Put before each question, for an endpoint that does not say its model's "
            'prompts (E5: "query: "); recorded with the collection.'
        ),
    ] = None,
    document_prompt: Annotated[
        str | None,
        typer.Option(
            help='Put before each chunk, likewise (E5: "passage: "); an empty one for none.'
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add or update documents; only new or changed files are read and embedded.

    Exit code 1 when a file was skipped (empty, damaged, unreadable); the others are ingested.
    """
    from gemeingut.apps.rag.embedders import EmbedderSpec
    from gemeingut.apps.rag.index import ingest, list_collections
    from gemeingut.apps.rag.ingest import nothing_read
    from gemeingut.apps.rag.prompted import prompts_unsaid
    from gemeingut.apps.rag.storage import read_meta

    spec = EmbedderSpec(embed, embed_model, endpoint_key()) if embed else None
    stated = None
    if query_prompt is not None or document_prompt is not None:
        stated = {"query": query_prompt or "", "document": document_prompt or ""}
    report = ingest(root, name, paths, group, language, spec, prompts=stated)
    left_empty = _prompt_left_empty(query_prompt, document_prompt)
    if left_empty is not None:  # on stderr: a JSON report on stdout stays JSON
        say("[yellow]![/]", left_empty)
    read = report.added + report.updated + report.reread
    encodings, controls = _encodings(root, name, read), report.control_characters
    made = name in list_collections(root)  # not where a new one read none of its files
    unsaid = prompts_unsaid(read_meta(root, name)) if made else None
    if as_json:
        shown = asdict(report) | {"encodings": encodings, "prompts_unsaid": unsaid is not None}
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))
    elif nothing_read(report):  # no ✓ for an ingest that did nothing: why, file by file
        say("[red]✗[/]", _nothing_ingested(name, made))
        _say_skipped(report)
    else:
        summary = _(  # "chunks: 1", not "1 chunks": the catalogue has no plural forms
            "{name}: {added} added, {updated} updated, {unchanged} unchanged, {removed} "
            "removed; chunks in all: {chunks}",
            name=name,
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            removed=len(report.removed),
            chunks=report.chunks,
        )
        result_console.print(f"[green]✓[/] {escape(text(summary))}")
        if report.reread:
            say("[yellow]![/]", _read_again(len(report.reread)))
        if report.embedded_again:
            say("[yellow]![/]", _embedded_again(report.embedded_again))
        if report.ocr_pages_read or report.ocr_pages_reused:
            say("[green]✓[/]", _scanned_pages(report.ocr_pages_read, report.ocr_pages_reused))
        if report.chunks_cut:
            cut = _cut(report.chunks_cut, report.context, report.cut_by_bytes)
            if report.documents_cut:  # which documents' ends the dense search does not find
                cut = _("{said}; in {documents}", said=cut, documents=_named(report.documents_cut))
            say("[yellow]![/]", cut)
        if unsaid is not None:
            say("[yellow]![/]", unsaid)
        for key, encoding in encodings.items():
            say(
                "[yellow]![/]",
                _("{key}: not UTF-8, read as {encoding}", key=key, encoding=encoding),
            )
        for key, count in sorted(controls.items()):
            say(
                "[yellow]![/]",
                _(
                    "{key}: control characters (such as zero bytes) read as spaces: {count}",
                    key=key,
                    count=count,
                ),
            )
        _say_skipped(report)
        _warn_if_seen_by_nobody(name, report.groups)
    if report.skipped:  # not a folder's unsupported files: no reader was meant to read them
        raise typer.Exit(1)


def _nothing_ingested(name: str, made: bool) -> Message:
    """That none of the files was taken (each unreadable, empty or held under another key),
    and what became of the collection."""
    if made:
        return _("{name}: none of the files was taken; the collection is unchanged", name=name)
    return _("{name}: none of the files was taken; the collection was not created", name=name)


def _say_skipped(report: IngestReport) -> None:
    """Each file skipped and why, and the files of a folder no reader reads."""
    for path, why in sorted(report.skipped.items()):
        say(f"[yellow]{text(SKIPPED)}[/]", f"{path}: {why}")
    for suffix, files in sorted(report.unsupported.items()):
        say(f"[yellow]{text(SKIPPED)}[/]", _unsupported(suffix, files))


def _prompt_left_empty(query: str | None, document: str | None) -> Message | None:
    """One prompt stated and the other not: the other is recorded empty, which a person who
    meant to state both would not notice (an E5 model's chunks embedded without "passage: ")."""
    if query is not None and document is None:
        return _("the document prompt is empty; give --document-prompt to set it")
    if document is not None and query is None:
        return _("the query prompt is empty; give --query-prompt to set it")
    return None


def _unsupported(suffix: str, files: list[str]) -> Message:
    """A folder's files of one type no reader reads, on one line: a folder of 300 spreadsheets
    names a few of them, not 300 lines that hide the rest of the report."""
    from gemeingut.apps.rag.readers import READERS

    supported = _("supported: {formats}", formats=", ".join(sorted(READERS)))
    named = ", ".join(files[:SHOWN_UNSUPPORTED])
    if len(files) > SHOWN_UNSUPPORTED:
        named = text(_("{count} files, among them {files}", count=len(files), files=named))
    if not suffix:
        return _(
            "files without a suffix are not read ({supported}): {files}",
            supported=supported,
            files=named,
        )
    return _(
        "type {suffix} is not supported ({supported}): {files}",
        suffix=suffix,
        supported=supported,
        files=named,
    )


def _read_again(count: int) -> Message:
    """Documents an ingest read although unchanged: an older gemeingut's readers numbered
    their pages and named their sections otherwise, as earlier answers may have cited them."""
    return plural(
        count,
        _(
            "{count} unchanged document read again: it had been read by another version of "
            "gemeingut, which reads pages, sections or text differently",
            count=count,
        ),
        _(
            "{count} unchanged documents read again: they had been read by another version "
            "of gemeingut, which reads pages, sections or text differently",
            count=count,
        ),
    )


def _embedded_again(count: int) -> Message:
    """Chunks embedded again although unchanged: the time (or an endpoint's tokens) it took
    is this ingest's, and answers may rank the collection's passages otherwise from now on."""
    return plural(
        count,
        _("the one chunk embedded again: the model now embeds otherwise (pooling/prompts)"),
        _(
            "all {count} chunks embedded again: the model now embeds otherwise (pooling/prompts)",
            count=count,
        ),
    )


def _scanned_pages(read: int, reused: int) -> Message:
    """Scanned pages read with Tesseract (seconds each) and taken from an earlier reading of
    the same file: why an ingest that read a collection again was quick, or was not."""
    return _(
        "scanned pages: {read} read with Tesseract, {reused} taken from an earlier reading",
        read=read,
        reused=reused,
    )


def _cut(count: int, context: int | None, by_bytes: bool) -> Message:
    """Chunks longer than the encoder reads (a local model folder or an engine), embedded by
    their start: their end is not found by the dense search (BM25 still finds it)."""
    said = plural(
        count,
        _("one chunk is longer than the embedding model reads ({context} tokens): its "
          "vector is of its start", context=context),
        _("{count} chunks are longer than the embedding model reads ({context} tokens): "
          "their vectors are of their starts", count=count, context=context),
    )  # fmt: skip
    from gemeingut.apps.rag.remote_fit import FRAME

    if not by_bytes:
        return said
    return _(
        "{said}; the engine counts no tokens (no /tokenize), so they were cut to {bytes} "
        "bytes, which are surely fewer tokens",
        said=said,
        bytes=(context or 0) - FRAME,
    )


def _named(documents: list[str], most: int = 5) -> Message:
    """The first `most` of `documents` by name, and how many more."""
    named = quoted(documents[:most])
    more = len(documents) - most
    return _("{files} and {count} more", files=named, count=more) if more > 0 else named


def _say_question_cut(collection: Collection, question: str, cuts: list[Cut], mode: str) -> None:
    """That the question was longer than the encoder reads (local or remote, `cuts.py`), in
    the words the server and the page say it in. On stderr: a --json answer stays JSON."""
    from gemeingut.apps.rag.cuts import question_read
    from gemeingut.apps.rag.prompted import question_text

    read = question_read(cuts, question_text(collection.meta, ""), question, mode == "hybrid")
    if read is not None:
        say("[yellow]![/]", read.said())


def _encodings(root: Path, name: str, keys: list[str]) -> dict[str, str]:
    """The encoding each newly read text file was read in where it is not UTF-8: a file in
    yet another encoding shows wrong letters, which whoever ingested it should look at."""
    from gemeingut.apps.rag.index import open_collection
    from gemeingut.apps.rag.readers import TEXT_SUFFIXES, text_encoding

    texts = [k for k in keys if Path(k).suffix.lower() in TEXT_SUFFIXES]
    if not texts:
        return {}
    collection = open_collection(root, name)
    found = {key: text_encoding(collection.document_file(key)) for key in sorted(texts)}
    return {key: encoding for key, encoding in found.items() if encoding}


@rag_app.command("remove")
@user_errors
def remove_command(
    name: Name,
    keys: Annotated[list[str], typer.Argument(help="Documents by key (rag list NAME shows them).")],
    root: Root = Path("collections"),
    as_json: JsonFlag = False,
) -> None:
    """Take documents out of a collection: their chunks, vectors and stored copies."""
    from gemeingut.apps.rag.index import remove

    report = remove(root, name, keys)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2, ensure_ascii=False))
        return
    summary = _(
        "{name}: removed {keys}; chunks in all: {chunks}",
        name=name,
        keys=", ".join(report.removed),
        chunks=report.chunks,
    )
    result_console.print(f"[green]✓[/] {escape(text(summary))}")


@rag_app.command("groups")
@user_errors
def groups_command(
    name: Name,
    root: Root = Path("collections"),
    set_to: Annotated[
        list[str] | None,
        typer.Option("--set", help="The groups that may see the collection (all of them)."),
    ] = None,
    add: Annotated[
        list[str] | None, typer.Option("--add", help="A group that may see it too.")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--remove", help="A group that may no longer see it.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show or change the groups whose users see a collection on the server."""
    from gemeingut.apps.rag.index import open_collection, set_groups

    if set_to is None and not add and not drop:
        groups = open_collection(root, name).groups
    else:
        groups = set_groups(root, name, set_to, add, drop)
    if as_json:
        typer.echo(json.dumps({"name": name, "groups": groups}, ensure_ascii=False))
        return
    if groups:
        listed = ", ".join(groups)
        shown = plural(
            len(groups),
            _("Collection '{name}' is visible to the group {groups}", name=name, groups=listed),
            _("Collection '{name}' is visible to the groups {groups}", name=name, groups=listed),
        )
        result_console.print(escape(text(shown)), highlight=False)
    _warn_if_seen_by_nobody(name, groups)


def _warn_if_seen_by_nobody(name: str, groups: list[str]) -> None:
    """A collection without groups is hidden from every user of a server with accounts: say
    so when it happens, not when someone wonders why nobody finds it."""
    if not groups:
        say(
            "[yellow]![/]",
            _(
                "{name} has no group: on a server with user accounts (--db) nobody sees it; "
                "give it one with gemeingut rag groups {name} --add GROUP",
                name=name,
            ),
        )


@rag_app.command("query")
@user_errors
@waiting_on_limits()
def query_command(
    name: Name,
    question: Annotated[str, typer.Argument(help="The question.")],
    root: Root = Path("collections"),
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Chunks to show or use.")] = 5,
    mode: ModeOption = "hybrid",
    answer: Annotated[
        bool, typer.Option("--answer", help="Ask a chat endpoint and check its citations.")
    ] = False,
    endpoint: Annotated[
        str,
        typer.Option(
            help="OpenAI-compatible endpoint for --answer; its key is read from "
            "GEMEINGUT_API_KEY, else OPENAI_API_KEY."
        ),
    ] = "http://127.0.0.1:8000/v1",
    model: Annotated[
        str | None,
        typer.Option(help="Model id for --answer (default: the first that writes text)."),
    ] = None,
    rerank: Rerank = None,
    language: Annotated[
        str | None,
        typer.Option(help="de or en: the answer's language (default: that of the messages)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The chunks that answer a question, best first; with --answer, an answer citing them."""
    from gemeingut.apps.rag.answer import ChatEndpoint, answer_question, source_label
    from gemeingut.apps.rag.cuts import noting_cuts
    from gemeingut.apps.rag.excerpt import ranked, shortened
    from gemeingut.apps.rag.index import open_collection
    from gemeingut.apps.rag.prompted import prompts_unsaid
    from gemeingut.apps.rag.retrieve import search
    from gemeingut.errors import InputError

    if not question.strip():
        raise InputError(
            _("the question is empty"),
            _(
                'ask in words, e.g. gemeingut rag query {name} "Wie hoch ist die Gebühr?"',
                name=name,
            ),
        )
    collection = open_collection(root, name)
    checked = checked_mode(mode)
    language = language or current_language()
    if language not in LANGUAGES:  # the list's scores are written in it, too
        raise typer.BadParameter(
            text(
                _("'{lang}' is not a language of gemeingut; use de or en", lang=visible(language))
            ),
            param_hint="--language",
        )
    reranker = _reranker(rerank)
    unsaid = prompts_unsaid(collection.meta)
    if unsaid is not None and checked != "bm25" and collection.vectors is not None:
        say("[yellow]![/]", unsaid)  # stderr: a --json answer stays JSON
    if not answer:
        with noting_cuts() as cuts:
            hits = search(collection, question, k=k, mode=checked, reranker=reranker)
        _say_question_cut(collection, question, cuts, checked)
        rows = [
            {**asdict(collection.chunks[h.row]), "score": h.score, "scored_by": h.scored_by,
             "bm25_rank": h.bm25_rank, "dense_rank": h.dense_rank}
            for h in hits
        ]  # fmt: skip
        if as_json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        if not rows:
            say("[yellow]![/]", _nothing_found(collection, question))
        for i, row in enumerate(rows, 1):
            label = source_label(collection.chunks[hits[i - 1].row], language)
            score = text(score_said(hits[i - 1], language), language)
            result_console.print(f"[bold][{i}][/] {escape(label)}  ({escape(score)})")
            shown = shortened(ranked(row["text"], question, collection.meta["language"]), SHOWN)
            result_console.print(escape(shown), highlight=False)
        return
    with noting_cuts() as cuts:
        result = answer_question(
            collection,
            question,
            ChatEndpoint(endpoint, model, endpoint_key()),
            k=k,
            mode=checked,
            language=language,
            reranker=reranker,
        )
    _say_question_cut(collection, question, cuts, checked)
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2, ensure_ascii=False))
    else:
        result_console.print(escape(result.text), highlight=False)
        for i, chunk in enumerate(result.sources, 1):
            result_console.print(f"[bold][{i}][/] {escape(source_label(chunk, language))}")
        if result.note is not None:
            say("[yellow]![/]", result.note)
        for problem in result.verdict.problems:
            say("[yellow]![/]", problem)
    if not result.verdict.supported:
        raise typer.Exit(1)


@rag_app.command("eval")
@user_errors
def eval_command(
    name: Name,
    questions: Annotated[
        Path,
        typer.Argument(
            help="JSONL: question, document, section/page; - reads it from standard input.",
            parser=given_path,
        ),
    ],
    root: Root = Path("collections"),
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Recall at this depth.")] = 5,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="Modes to score (default: all available).")
    ] = None,
    rerank: Rerank = None,
    as_json: JsonFlag = False,
) -> None:
    """Recall@k and MRR of each retrieval mode on a question set (with --rerank, each mode
    also reranked by the cross-encoder)."""
    from gemeingut.apps.rag.evaluate import evaluate, read_questions
    from gemeingut.apps.rag.index import open_collection
    from gemeingut.apps.rag.retrieve import MODES

    collection = open_collection(root, name)
    piped = None
    if str(questions) == "-":  # as Unix tools do
        piped = read_standard_input(
            _("Reading the questions from standard input (JSONL, one per line)")
        )
    asked = read_questions(questions, piped)
    modes = [checked_mode(m) for m in mode or []] or [
        m for m in MODES if collection.vectors is not None or m == "bm25"
    ]
    reranker = _reranker(rerank)
    scores = [evaluate(collection, asked, m, k) for m in modes]
    if reranker is not None:
        scores += [evaluate(collection, asked, m, k, reranker) for m in modes]
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in scores], indent=2))
        return
    from rich.table import Table

    table = Table(
        text(_("mode")),
        f"recall@{k}",
        "MRR@10",
        "p50 ms",
        "p99 ms",
        title=text(_("questions: {count}", count=len(asked))),
    )
    lang = current_language()
    for s in scores:
        shown = [decimal(v, 3, lang) for v in (s.recall, s.mrr)]
        table.add_row(s.mode, *shown, decimal(s.p50_ms, 1, lang), decimal(s.p99_ms, 1, lang))
    result_console.print(table)


@rag_app.command("list")
@user_errors
def list_command(
    name: Annotated[
        str | None, typer.Argument(help="Only this collection, with its documents' keys.")
    ] = None,
    root: Root = Path("collections"),
    as_json: JsonFlag = False,
) -> None:
    """The collections under --root, with their groups and sizes."""
    from gemeingut.apps.rag.index import list_collections, open_collection

    rows = []
    for shown in [name] if name else list_collections(root):
        collection = open_collection(root, shown)
        rows.append(
            {
                "name": shown,
                "groups": collection.groups,
                "documents": len(collection.meta.get("documents", {})),
                "chunks": collection.size,
                "embedder": (collection.meta.get("embedder") or {}).get("model"),
            }
            | ({"keys": sorted(collection.meta.get("documents", {}))} if name else {})
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    none = text(_("none"))
    for row in rows:
        line = _(
            "{name}: documents {documents}, chunks {chunks}, groups {groups}, vectors {vectors}",
            name=row["name"],
            documents=row["documents"],
            chunks=row["chunks"],
            groups=", ".join(row["groups"]) or none,
            vectors=row["embedder"] or none,
        )
        result_console.print(escape(text(line)), highlight=False)
        _warn_if_seen_by_nobody(row["name"], row["groups"])
        for key in row.get("keys", []):
            result_console.print(f"  {escape(key)}", highlight=False)


def score_said(hit: Hit, language: str) -> Message:
    """A hit's score with what it is: scores of BM25 (any size), cosine (-1 to 1), fused
    reciprocal ranks (about 0.03) and a cross-encoder do not compare, and a bare number does
    not say which one a person reads."""
    score = decimal(hit.score, 3, language, grouped=False)
    said = {
        "bm25": _("BM25 score {score}", score=score),
        "dense": _("cosine similarity {score}", score=score),
        "rrf": _("fused rank score (RRF) {score}", score=score),
        "reranker": _("reranker score {score}", score=score),
    }
    return said[hit.scored_by]


def _nothing_found(collection: Collection, question: str) -> Message:
    """Why a query shows nothing: an empty result would look like a hang or a crash."""
    from gemeingut.apps.rag.retrieve import tokenize

    if collection.size and not tokenize([question], collection.language)[0]:
        return _("nothing found: every word of the question is too common to search for")
    return _("nothing found in '{name}'", name=collection.name)


def _reranker(folder: Path | None):
    if folder is None:
        return None
    from gemeingut.apps.rag.rerank import Reranker

    return Reranker(folder)


def checked_mode(mode: str):
    from gemeingut.apps.rag.retrieve import MODES
    from gemeingut.errors import InputError

    if mode not in MODES:
        raise InputError(
            _("--mode '{mode}' is not known", mode=visible(mode)),
            _("use one of {choices}", choices=", ".join(MODES)),
        )
    return mode
