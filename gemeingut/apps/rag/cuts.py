"""Texts an embedder cut to its model's context, noted for whoever had them embedded.

A local encoder reads a text's first tokens (`embedders.LocalEmbedder`), a remote one is sent
a start that fits (`remote_fit.py`); either way the dense search misses the rest, and the
person should hear of it: an ingest names the documents whose chunks were cut, a server's
search and answer say that a question was cut, an upload that its document's chunks were.
Noted in a context variable, not on the embedder: a server shares one embedder among requests
at once (and its worker threads run each request's context), so each hears of its own texts.
What a search read of a cut question is said in one sentence (`QuestionRead.said`), by the
CLI, the server and the page (`texts.py` hands the page its words).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from gemeingut.apps.rag.readers import without_ligatures
from gemeingut.i18n import Message, _


@dataclass(frozen=True)
class Cut:
    text: str  # as it was given to the embedder (after the collection's prompt)
    kept: int  # its characters the model read, from its start
    context: int  # the tokens the model reads
    by_bytes: bool = False  # cut by the byte bound: the engine counts no tokens (`remote_fit`)


_NOTED: ContextVar[list[Cut] | None] = ContextVar("gemeingut_cuts", default=None)


@contextmanager
def noting_cuts() -> Iterator[list[Cut]]:
    """The texts cut while it lasts, in this context."""
    noted: list[Cut] = []
    token = _NOTED.set(noted)
    try:
        yield noted
    finally:
        _NOTED.reset(token)


def note_cut(cut: Cut) -> None:
    noted = _NOTED.get()
    if noted is not None:
        noted.append(cut)


@dataclass(frozen=True)
class QuestionRead:
    """What the dense search read of a question longer than its model reads."""

    context: int  # the tokens the model reads
    kept: int  # the question's characters it read: a start of it
    length: int  # the question's characters
    words_searched: bool  # the search by words (BM25) searched too, with all of it (hybrid)

    def said(self) -> Message:
        return question_cut_said(self.kept, self.length, self.words_searched)


def question_read(
    cuts: list[Cut], prompt: str, question: str, words_searched: bool
) -> QuestionRead | None:
    """What the dense search read of `question`, from the texts its embedding cut (it embeds
    one: `prompt`, the collection's query prompt, then the question as searched); None where
    none was. Counted in the characters of `question` as the person sent it, not as it was
    searched: a ligature pasted from a PDF ("ﬂ") is searched as its letters (`retrieve.search`),
    and the numbers are said to the person and checked against the question handed back with
    an answer (`collection_answers`)."""
    if not cuts:
        return None
    cut = cuts[0]
    read = max(cut.kept - len(prompt), 0)  # of the question as searched
    searched = itertools.accumulate(len(without_ligatures(c)) for c in question)
    return QuestionRead(
        context=cut.context,
        kept=sum(1 for length in searched if length <= read),
        length=len(question),
        words_searched=words_searched,
    )


def question_cut_said(kept: int | str, length: int | str, words_searched: bool) -> Message:
    """That the search by meaning read only the question's start; the page fills in `{kept}`
    and `{length}` itself (`texts.py`)."""
    if words_searched:
        return _(
            "The question is long: the search by meaning read only its first {kept} of "
            "{length} characters; the search by words read all of it.",
            kept=kept,
            length=length,
        )
    return _(
        "The question is long: the search by meaning read only its first {kept} of {length} "
        "characters.",
        kept=kept,
        length=length,
    )
