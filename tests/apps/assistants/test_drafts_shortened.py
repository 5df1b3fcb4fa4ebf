"""A model with a small context reads every source found, each shortened to its most relevant
sentences, instead of the first whole source with the rest left out; the draft says so, lists
the sources whole, and checks its citations against them (a quote from an excerpt is in its
chunk). Only where even the shortest excerpts do not fit is a source left out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gemeingut.apps.assistants.drafts import (
    DraftRequest,
    plan_sections,
    render_markdown,
    section_messages,
    write_draft,
)
from gemeingut.apps.rag.answer import Said, fit_question
from gemeingut.apps.rag.excerpt import ranked, shortened
from gemeingut.apps.rag.index import ingest, open_collection

SUBJECT = "Pauschale für mobiles Arbeiten"
FILLER = (
    "Die Dienststelle liegt am Marktplatz. Der Fuhrpark umfasst zwölf Fahrzeuge. "
    "Die Kantine öffnet um elf Uhr. Das Archiv bleibt im Sommer geschlossen. "
    "Die Telefonanlage wurde im Frühjahr erneuert."
)
MORE = (
    "Besucher melden sich am Empfang im Erdgeschoss an. Die Bibliothek leiht Fachbücher für "
    "vier Wochen aus. Der Betriebsausflug findet im September statt."
)


def relevant(n: int) -> str:
    return f"Die Pauschale für mobiles Arbeiten beträgt {n}0 Euro im Monat."


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four notes, each one sentence on the subject among eight that are not."""
    folder = tmp_path_factory.mktemp("office")
    (folder / "docs").mkdir()
    for n in range(1, 5):
        text = f"# Hinweis {n}\n\n{FILLER} {relevant(n)} {MORE}\n"
        (folder / "docs" / f"hinweis-{n}.md").write_text(text, encoding="utf-8")
    ingest(folder / "collections", "amt", [folder / "docs"])
    return folder / "collections"


def counting(context: int):
    """About four characters a token, in a context of `context` tokens."""
    return lambda messages: (sum(len(m["content"]) for m in messages) // 4, context)


def test_a_small_context_reads_every_source_shortened(office: Path) -> None:
    asked: list[list[dict]] = []

    def ask(messages: list[dict], max_tokens: int, parts: int) -> Said:
        """Quotes the subject's sentence of source [1], as the model read it."""
        asked.append(messages)
        first = messages[1]["content"].split("\n\n[2]")[0]
        quote = re.search(r"Die Pauschale [^.]+", first).group()
        return Said(f"„{quote}“ [1].")

    collection = open_collection(office, "amt")
    request = DraftRequest("vermerk", SUBJECT)
    draft = write_draft(collection, request, ask, counting(460), k=4)
    whole = section_messages(request, plan_sections(request)[0], draft.sources, "de")
    assert counting(460)(whole)[0] > 460 - 460 // 4  # whole, they leave no room for the answer
    assert (draft.sources_found, draft.sources_dropped, draft.sources_shortened) == (4, 0, 4)
    assert all(FILLER in chunk.text and MORE in chunk.text for chunk in draft.sources)  # whole
    for messages in asked:  # every source's sentence on the subject, not all the rest
        read = messages[1]["content"]
        assert all(relevant(n) in read for n in range(1, 5)), read
        assert FILLER not in read and MORE not in read and "…" in read
    assert all(section.verdict.supported for section in draft.sections)
    said = (
        "4 von 4 Quellen wurden auf ihre wichtigsten Sätze gekürzt. Das Modell kann nur eine "
        "begrenzte Menge Text auf einmal lesen."
    )
    assert draft.note == said
    assert render_markdown(draft).startswith(f"# Vermerk: {SUBJECT}\n\n> {said}\n")


def test_a_source_is_left_out_only_where_even_the_shortest_excerpts_do_not_fit(
    office: Path,
) -> None:
    collection = open_collection(office, "amt")
    draft = write_draft(
        collection, DraftRequest("vermerk", SUBJECT), lambda m, t, p: Said(""), counting(330), k=4
    )
    assert 1 <= len(draft.sources) < 4 and draft.sources_dropped == 4 - len(draft.sources)
    assert draft.note is not None and "weggelassen" in draft.note


def test_an_answer_reads_the_question_s_sentences_of_each_source(office: Path) -> None:
    collection = open_collection(office, "amt")
    sources = collection.chunks[:4]
    question = "Wie hoch ist die Pauschale für mobiles Arbeiten?"
    fitted = fit_question(question, sources, "de", 100, counting(350))
    assert fitted.sources == sources and fitted.shortened == 4
    assert all(FILLER not in s.text and "Pauschale" in s.text for s in fitted.shown)
    assert 1 <= fitted.room <= 100
    roomy = fit_question(question, sources, "de", 100, counting(4000))
    assert roomy.shown == sources and roomy.shortened == 0


def test_an_excerpt_keeps_sentences_verbatim_in_order_and_marks_the_gaps() -> None:
    text = f"{FILLER} {relevant(3)} Die Post kommt um neun Uhr."
    chunk = ranked(text, "Pauschale für mobiles Arbeiten", "de")
    assert shortened(chunk, len(text)) == text
    assert shortened(chunk, 80) == f"… {relevant(3)} …"
    longer = shortened(chunk, 140)  # then the earliest of the others that fit
    assert longer == f"{FILLER.split('. ')[0]}. {FILLER.split('. ')[1]}. … {relevant(3)} …"
