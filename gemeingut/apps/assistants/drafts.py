"""Drafts with a fixed structure, written from the user's own documents: a *Vermerk*
(Sachverhalt, Bewertung, Vorschlag) and a *Rede* (Einstieg, one part per key point, Schluss).

The best chunks of a collection for the subject and for each key point (taken in turns, so that
every point's best source comes early) are numbered [1]…[k] once; the
model writes each section in its own request from those same sources, and each section's
citations are checked on their own (`rag.cite`). One request per section, not one JSON answer:
the structure then never depends on whether a small local model keeps to a format, and a
section that cites nothing is flagged where it stands. With no matching chunk the model is not
asked: a draft without evidence is not written. Sources that do not fit beside a section's
task in the model's context are shortened to their most relevant sentences (`rag.fitting`),
and where even that does not fit left out; the draft says how many of each. Each key point's
best source is the last to go. A key point none of whose sources is left (none matched it, or its
sources did not fit) is not written by the model either: its part says it is not written and
why (once, as its problem), so that no part reads as grounded when it is not. Where the
endpoint refuses or fails after a part is written (a limit, a server gone), the parts written
are kept and the rest say they are not written and why (`DraftCutShort`): an hour's draft is
not lost to a 429 in its last part. `ask` is told how many parts are still to write, so that an
endpoint whose daily token allowance no longer holds a part at its planned length shares what
is left among them (`rag.answer.Chat.ask`); a part written shorter says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Literal

from gemeingut.apps.assistants.blank_fields import check_request
from gemeingut.apps.assistants.wrote_nothing import WROTE_NOTHING
from gemeingut.apps.rag.answer import Said, source_label
from gemeingut.apps.rag.cite import Verdict, check_citations
from gemeingut.apps.rag.fitting import Count, Fitted, fit_sources
from gemeingut.apps.rag.index import Collection, StoredChunk
from gemeingut.apps.rag.retrieve import Hit, Mode, effective_mode, search
from gemeingut.errors import GemeingutError
from gemeingut.i18n import LANGUAGES, Message, _, plural, text

Kind = Literal["vermerk", "rede"]
Ask = Callable[[list[dict], int, int], Said]  # (messages, max_tokens, parts left) -> its text
# (query, k) -> its k best hits: `search` in a collection, or a server's own (which says an
# embedding model's failure as its engine's, not as the request's)
Find = Callable[[str, int], list[Hit]]
WORDS_PER_MINUTE = 130  # a calm speech in German
TOKENS_PER_WORD = 2  # German words in a BPE vocabulary, generously
MEMO_SECTION_TOKENS = 350
NOT_WRITTEN = _("This part was not written.")  # a section's text where it is not written
# why sources are shortened or left out, in the words of a reader who does not know the term
# "context" (the tokens a model reads at once: the task, the sources and room for its answer)
TOO_MUCH_TEXT = _("The model can read only a limited amount of text at once.")

CITE = {
    "de": (
        "Stütze dich nur auf die nummerierten Quellen und belege jede Aussage mit der Nummer "
        "ihrer Quelle in eckigen Klammern, z. B. [2], bei Seiten mit [2, S. 4]; zitiere "
        "wörtlich in „…“ direkt vor der Klammer. Was in keiner Quelle steht, behaupte nicht."
    ),
    "en": (
        "Use only the numbered sources and support every statement with its source's number in "
        "square brackets, e.g. [2], with pages as [2, p. 4]; quote verbatim in “…” right "
        "before the bracket. Do not claim what no source says."
    ),
}
ROLE = {
    "vermerk": {
        "de": "Du schreibst einen Vermerk für eine Behörde: sachlich, knapp, im Amtsdeutsch.",
        "en": "You write a memo for a public authority: factual, brief, in an official tone.",
    },
    "rede": {
        "de": "Du schreibst eine Rede für eine Vertreterin oder einen Vertreter der Verwaltung.",
        "en": "You write a speech for a representative of a public administration.",
    },
}
TITLE = {
    "vermerk": {"de": "Vermerk: {subject}", "en": "Memo: {subject}"},
    "rede": {"de": "Rede: {subject}", "en": "Speech: {subject}"},
}
SOURCES_HEADING = {"de": "Quellen", "en": "Sources"}
UNSUPPORTED = {
    "de": "Ohne Beleg: {problems}",
    "en": "Without evidence: {problems}",
}
# A written section that cites nothing: what the Markdown (after "Ohne Beleg:"), the CLI and
# the page (after its own "Ohne Beleg:") say, one sentence for all three.
CITES_NONE = _("This section cites none of the sources.")
NO_EVIDENCE = {
    "de": "Die Sammlung enthält keine Quelle zu diesem Thema; ohne Beleg wird kein Entwurf "
    "geschrieben.",
    "en": "The collection holds no source on this subject; without evidence no draft is written.",
}


@dataclass(frozen=True)
class DraftRequest:
    """What the user asks for. `audience`, `occasion`, `minutes` and `points` are the speech's."""

    kind: Kind
    subject: str
    audience: str = ""
    occasion: str = ""
    minutes: int = 5
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionPlan:
    id: str
    heading: dict[str, str]
    task: dict[str, str]
    max_tokens: int
    point: int | None = None  # a speech's part: which of the request's key points it develops


@dataclass(frozen=True)
class DraftSection:
    id: str
    heading: str
    text: str
    verdict: Verdict
    # Where the daily token allowance held fewer answer tokens than planned: those it held (the
    # part is shorter), or 0 (none: the part is not written). None: as planned.
    allowance: int | None = None
    written: bool = True  # False: not written (allowance, endpoint failed); its problem says why


@dataclass(frozen=True)
class Draft:
    kind: Kind
    title: str
    sections: list[DraftSection]
    sources: list[StoredChunk] = field(default_factory=list)
    asked_model: bool = True
    message: str | None = None  # why nothing was written
    sources_found: int = 0  # retrieved for the subject and key points
    sources_dropped: int = 0  # of those, left out: the model's context could not hold them
    sources_shortened: int = 0  # of those kept, read by the model only in part
    note: str | None = None  # what the reader must know of the draft: sources cut or left out

    @property
    def supported(self) -> bool:
        """Every section cites its sources, and every citation holds."""
        return bool(self.sections) and all(s.verdict.supported for s in self.sections)


def plan_sections(request: DraftRequest) -> list[SectionPlan]:
    """The sections of the draft, each with its task for the model."""
    if request.kind == "vermerk":
        return [
            SectionPlan(
                "sachverhalt",
                {"de": "Sachverhalt", "en": "Facts"},
                {
                    "de": "Schreibe den Abschnitt „Sachverhalt“ des Vermerks zu: {subject}. "
                    "Gib wieder, was die Quellen dazu sagen, ohne zu bewerten.",
                    "en": "Write the section 'Facts' of the memo on: {subject}. Report what "
                    "the sources say about it, without judging.",
                },
                MEMO_SECTION_TOKENS,
            ),
            SectionPlan(
                "bewertung",
                {"de": "Bewertung", "en": "Assessment"},
                {
                    "de": "Schreibe den Abschnitt „Bewertung“ des Vermerks zu: {subject}. "
                    "Bewerte die Rechtslage und die Folgen anhand der Quellen.",
                    "en": "Write the section 'Assessment' of the memo on: {subject}. Assess "
                    "the legal situation and the consequences from the sources.",
                },
                MEMO_SECTION_TOKENS,
            ),
            SectionPlan(
                "vorschlag",
                {"de": "Vorschlag", "en": "Proposal"},
                {
                    "de": "Schreibe den Abschnitt „Vorschlag“ des Vermerks zu: {subject}. "
                    "Schlage das weitere Vorgehen vor, begründet mit den Quellen.",
                    "en": "Write the section 'Proposal' of the memo on: {subject}. Propose "
                    "the next steps, justified by the sources.",
                },
                MEMO_SECTION_TOKENS,
            ),
        ]
    parts = [*request.points] or [request.subject]
    words = max(request.minutes, 1) * WORDS_PER_MINUTE
    opening = closing = max(words // 6, 40)
    body = max((words - opening - closing) // len(parts), 40)
    setting = {
        "de": "Anlass: {occasion}. Publikum: {audience}.",
        "en": "Occasion: {occasion}. Audience: {audience}.",
    }
    plans = [
        SectionPlan(
            "einstieg",
            {"de": "Einstieg", "en": "Opening"},
            {
                "de": f"{setting['de']} Schreibe den Einstieg einer Rede zu: {{subject}}, "
                f"etwa {opening} Wörter.",
                "en": f"{setting['en']} Write the opening of a speech on: {{subject}}, about "
                f"{opening} words.",
            },
            opening * TOKENS_PER_WORD,
        )
    ]
    for n, point in enumerate(parts, 1):
        literal = point.replace("{", "{{").replace("}", "}}")  # the task is formatted later
        plans.append(
            SectionPlan(
                f"punkt-{n}",
                {"de": point, "en": point},
                {
                    "de": f"{setting['de']} Schreibe den Teil der Rede zu: {{subject}}, der "
                    f"diesen Punkt ausführt: {literal} (etwa {body} Wörter).",
                    "en": f"{setting['en']} Write the part of the speech on: {{subject}} that "
                    f"develops this point: {literal} (about {body} words).",
                },
                body * TOKENS_PER_WORD,
                n - 1 if request.points else None,
            )
        )
    plans.append(
        SectionPlan(
            "schluss",
            {"de": "Schluss", "en": "Closing"},
            {
                "de": f"{setting['de']} Schreibe den Schluss der Rede zu: {{subject}}, etwa "
                f"{closing} Wörter.",
                "en": f"{setting['en']} Write the closing of the speech on: {{subject}}, about "
                f"{closing} words.",
            },
            closing * TOKENS_PER_WORD,
        )
    )
    return plans


def section_messages(
    request: DraftRequest, plan: SectionPlan, sources: list[StoredChunk], language: str
) -> list[dict]:
    lang = language if language in CITE else "de"
    numbered = "\n\n".join(
        f"[{i}] {source_label(chunk, lang)}\n{chunk.text}" for i, chunk in enumerate(sources, 1)
    )
    task = plan.task[lang].format(
        subject=request.subject,
        audience=request.audience or "-",
        occasion=request.occasion or "-",
    )
    return [
        {"role": "system", "content": f"{ROLE[request.kind][lang]} {CITE[lang]}"},
        {"role": "user", "content": f"{numbered}\n\n{task}"},
    ]


@dataclass(frozen=True)
class Prepared:
    """What every section is written from: the title, the plan, and the numbered sources."""

    title: str
    plans: list[SectionPlan]
    fitted: Fitted  # the sources kept, and what the model reads of each
    language: str
    found: int  # sources retrieved: `sources` and those `left_out`
    matching: tuple[frozenset[str], ...]  # per key point: ids of the chunks that match it
    left_out: tuple[StoredChunk, ...]  # not held by the context: named in the note, in order

    @property
    def sources(self) -> list[StoredChunk]:
        """Whole: cited, checked and listed."""
        return self.fitted.sources

    @property
    def shown(self) -> list[StoredChunk]:
        """What the model reads of the sources: each whole, or its excerpt."""
        return self.fitted.shown

    def draft(self, kind: Kind, sections: list[DraftSection]) -> Draft:
        """The draft written from these sources, with the note of those cut or left out."""
        dropped = len(self.left_out)
        cut = self.fitted.shortened
        return Draft(
            kind,
            self.title,
            sections,
            self.sources,
            sources_found=self.found,
            sources_dropped=dropped,
            sources_shortened=cut,
            note=self.note(dropped, cut),
        )

    def note(self, dropped: int, cut: int) -> str | None:
        """Sources shortened and left out, said: a reader checks a draft against its sources,
        and a key point may have lost its only one."""
        said = []
        if cut > 0:
            said.append(
                plural(
                    cut,
                    _(
                        "1 of {total} sources was shortened to its most relevant sentences",
                        total=self.found,
                    ),
                    _(
                        "{count} of {total} sources were shortened to their most relevant "
                        "sentences",
                        count=cut,
                        total=self.found,
                    ),
                )
            )
        if dropped > 0:  # which, too: the reader may look them up
            named = "; ".join(source_label(chunk, self.language) for chunk in self.left_out)
            said.append(
                plural(
                    dropped,
                    _("1 of {total} sources was left out ({sources})",
                      total=self.found, sources=named),
                    _("{count} of {total} sources were left out ({sources})",
                      count=dropped, total=self.found, sources=named),
                )
            )  # fmt: skip
        if not said:
            return None
        joined = "; ".join(text(s, self.language) for s in said)
        # sentences, as they are shown beside others: what happened, then why
        return f"{joined}. {text(TOO_MUCH_TEXT, self.language)}"

    def unsourced(self, plan: SectionPlan) -> DraftSection | None:
        """The part of a key point without a source among those given, written without the
        model: it says so. None for every other section, which the model writes."""
        if plan.point is None or not self.sources:
            return None
        own = self.matching[plan.point]
        if own & {chunk.id for chunk in self.sources}:
            return None
        problem = (
            plural(
                len(own),
                _("The source of this point was left out."),
                _("The {count} sources of this point were left out.", count=len(own)),
            )
            if own
            else _("The collection holds no source on this point.")
        )
        said = text(problem, self.language)
        if own:
            said = f"{said} {text(TOO_MUCH_TEXT, self.language)}"
        # The reason is the verdict's problem, which every view shows under the part (the
        # Markdown's "Ohne Beleg: …", the page's warning, which tells such a part by the API's
        # `asked_model: false`): said in the part's text as well, a reader would read it twice.
        written = text(NOT_WRITTEN, self.language)
        verdict = Verdict([], False, [said], "no_citation")
        return DraftSection(plan.id, plan.heading[self.language], written, verdict)


def prepare(
    collection: Collection,
    request: DraftRequest,
    count: Count,
    language: str = "de",
    k: int = 6,
    mode: Mode = "hybrid",
    find: Find | None = None,
) -> Prepared:
    """Retrieve for the subject and each key point (with `find`; without it, `search` in
    `mode`), as many sources as the context holds beside every section's task and answer
    (none: no draft will be written)."""
    lang = language if language in CITE else "de"
    check_request(request)
    title = TITLE[request.kind][lang].format(subject=request.subject)
    if find is None:
        find = partial(search, collection, mode=mode)
    found, matching = retrieve(collection, request, k, mode, find)
    plans = plan_sections(request)
    if not found:
        return Prepared(title, plans, Fitted([], [], 0), lang, 0, matching, ())
    # each section's task and answer must fit beside the same sources
    needs = [
        (lambda chunks, plan=plan: section_messages(request, plan, chunks, lang), plan.max_tokens)
        for plan in plans
    ]
    query = " ".join([request.subject, *request.points])
    fitted = fit_sources(query, found, lang, needs, count)
    kept = {chunk.id for chunk in fitted.sources}
    left_out = tuple(chunk for chunk in found if chunk.id not in kept)
    return Prepared(title, plans, fitted, lang, len(found), matching, left_out)


def retrieve(
    collection: Collection,
    request: DraftRequest,
    k: int,
    mode: Mode,
    find: Find,
) -> tuple[list[StoredChunk], tuple[frozenset[str], ...]]:
    """The best chunks for the subject and for each key point, and for each key point the ids
    of the chunks that match it. First every query's best match, then the rest in turns
    (every query's second, …); `k` of them, or one per query where there are more. One query
    for all would let one point's chunks crowd out another's, and the context, which keeps
    the first sources, would drop a point's only source before a second one. A point is
    searched alone: with the subject's words beside it, chunks on the subject that never
    mention the point outrank the one that does."""
    queries = [request.subject, *request.points]
    ranked = [find(query, k) for query in queries]
    dense_only = effective_mode(collection, mode) == "dense"
    matches = [[hit for hit in hits if dense_only or _matches(hit)] for hits in ranked]
    rows: list[int] = []
    for turn in [[hits[0] for hits in matches if hits], *itertools.zip_longest(*ranked)]:
        for hit in turn:
            if hit is not None and hit.row not in rows:
                rows.append(hit.row)
    chunks = [collection.chunks[row] for row in rows[: max(k, len(queries))]]
    taken = {chunk.id for chunk in chunks}
    matching = tuple(
        frozenset(collection.chunks[hit.row].id for hit in hits) & taken for hits in matches[1:]
    )
    return chunks, matching


def _matches(hit: Hit) -> bool:
    """Whether a hit matches its query's words. A dense search finds the nearest chunks of any
    query, "Weltraumbahnhof" too, so beside BM25 a chunk only the vectors found is no source
    of a key point: a part that says it has none is better than one that seems grounded."""
    return hit.bm25_rank is not None


def no_evidence(request: DraftRequest, prepared: Prepared) -> Draft:
    return Draft(
        request.kind,
        prepared.title,
        [],
        [],
        asked_model=False,
        message=NO_EVIDENCE[prepared.language],
    )


def checked_section(
    plan: SectionPlan, written: str, prepared: Prepared, allowance: int | None = None
) -> DraftSection:
    """A written section, its citations checked; `allowance`: the answer tokens the daily
    allowance held for it, where fewer than planned."""
    verdict = check_citations(written, prepared.sources, prepared.language)
    if verdict.status == "no_citation":  # said of the section, not of "the answer"
        verdict = replace(verdict, problems=[text(CITES_NONE, prepared.language)])
    return DraftSection(plan.id, plan.heading[prepared.language], written, verdict, allowance)


def beyond_allowance(plan: SectionPlan, prepared: Prepared) -> DraftSection:
    """A section the daily token allowance no longer holds: not written, and it says why."""
    problem = _("The daily token allowance does not hold this part any more.")
    return not_written(plan, prepared, problem, allowance=0)


def not_written(
    plan: SectionPlan, prepared: Prepared, problem: Message, allowance: int | None = None
) -> DraftSection:
    """A section not written: it says so, and why (as its problem, which every view shows
    under it; not under "without evidence", which it is not)."""
    lang = prepared.language
    verdict = Verdict([], False, [text(problem, lang)], "no_citation")
    said = text(NOT_WRITTEN, lang)
    return DraftSection(plan.id, plan.heading[lang], said, verdict, allowance, written=False)


def says_not_written(written: str) -> bool:
    """Whether `written` is what a section not written says, in any language: handed back
    as a section written (`given`), it is none, and its reason would be lost."""
    return written.strip() in {text(NOT_WRITTEN, language) for language in LANGUAGES}


def cut_short(plan: SectionPlan, prepared: Prepared, reason: Message | str) -> DraftSection:
    """A section not written because the endpoint refused or failed before it (a limit, a
    server gone): its reason, the refusal's own message."""
    return not_written(plan, prepared, _("Not written: {reason}", reason=reason))


class DraftCutShort(GemeingutError):
    """The endpoint refused or failed after the first part was written: `draft` holds the
    parts written and says of the rest that they are not; `cause` is why (with its hint:
    when to try again)."""

    def __init__(self, draft: Draft, cause: GemeingutError) -> None:
        super().__init__(cause.message, cause.hint)
        self.draft = draft
        self.cause = cause


def shortened_note(tokens: int) -> Message:
    """Under a section the daily allowance shortened: why it may end early."""
    return _(
        "Shorter than planned: the daily token allowance held {count} tokens for this part.",
        count=tokens,
    )


def write_draft(
    collection: Collection,
    request: DraftRequest,
    ask: Ask,
    count: Count,
    language: str = "de",
    k: int = 6,
    mode: Mode = "hybrid",
) -> Draft:
    """Retrieve, then let the model write each section from the same sources. Where `ask`
    fails after a section is written, `DraftCutShort` carries the draft written so far."""
    prepared = prepare(collection, request, count, language, k, mode)
    if not prepared.sources:
        return no_evidence(request, prepared)
    sections = []
    asked = 0  # parts the model wrote
    to_write = sum(prepared.unsourced(plan) is None for plan in prepared.plans)
    failed: GemeingutError | None = None  # why the parts after it are not written
    for plan in prepared.plans:
        unsourced = prepared.unsourced(plan)
        if unsourced is not None:
            sections.append(unsourced)
            continue
        if failed is None:
            messages = section_messages(request, plan, prepared.shown, prepared.language)
            room = room_for(messages, plan.max_tokens, count)
            try:
                said = ask(messages, room, to_write - asked)
            except GemeingutError as error:
                if not asked:
                    raise  # nothing written to keep: the error says why, as for any request
                failed = error
            else:
                asked += 1
                sections.append(checked_section(plan, said.text, prepared, said.allowance))
                continue
        sections.append(cut_short(plan, prepared, failed.message))
    draft = prepared.draft(request.kind, sections)
    if failed is not None:
        raise DraftCutShort(draft, failed)
    return draft


def room_for(messages: list[dict], wanted: int, count: Count) -> int:
    """Tokens left for the section: `wanted`, or what the context leaves."""
    counted = count(messages)
    if counted is None:
        return wanted
    used, context = counted
    return max(1, min(wanted, context - used))


def render_markdown(draft: Draft, language: str = "de") -> str:
    """The draft as Markdown: its sections (one the model left blank says so, as the page
    does), a note under each one without evidence, and the numbered sources it cites."""
    lang = language if language in CITE else "de"
    lines = [f"# {draft.title}", ""]
    if draft.message:
        return "\n".join([*lines, draft.message, ""])
    if draft.note:
        lines += [f"> {draft.note}", ""]
    for section in draft.sections:
        said = section.text.strip() or text(WROTE_NOTHING, lang)
        lines += [f"## {section.heading}", "", said, ""]
        if not section.written:  # its problem says why, and it is all there is
            lines += [f"> {' '.join(section.verdict.problems)}", ""]
            continue
        if section.allowance is not None:
            lines += [f"> {text(shortened_note(section.allowance), lang)}", ""]
        if not section.verdict.supported:
            problems = " ".join(section.verdict.problems)
            lines += [f"> {UNSUPPORTED[lang].format(problems=problems)}", ""]
    lines += [f"## {SOURCES_HEADING[lang]}", ""]
    for i, chunk in enumerate(draft.sources, 1):
        lines.append(f"[{i}] {source_label(chunk, lang)}")
    return "\n".join(lines) + "\n"
