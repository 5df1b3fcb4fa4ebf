"""The memo and speech assistants: one request per section from the same numbered sources,
each section's citations checked on its own; no evidence, no model call; and end to end from
the CLI against a real server on loopback (the tiny random model cites nothing)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.assistants.drafts import (
    DraftRequest,
    plan_sections,
    render_markdown,
    section_messages,
    write_draft,
)
from gemeingut.apps.rag.answer import Said
from gemeingut.apps.rag.index import ingest, open_collection
from tests.apps.rag.documents import write_markdown, write_pdf
from tests.http_server import serving_process
from tests.test_cli import invoke

SUBJECT = "Frist für den Eingang der Angebote"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drafts")
    docs = folder / "docs"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    write_markdown(docs / "hinweise.md")
    ingest(folder / "collections", "vergabe", [docs], groups=["einkauf"])
    return folder / "collections"


def quoting_writer(wrong_in: str) -> tuple[list[list[dict]], object]:
    """Writes every section by quoting source [1] exactly; in the section whose task names
    `wrong_in` it cites a source that was not given. Records what it was asked."""
    asked: list[list[dict]] = []

    def ask(messages: list[dict], max_tokens: int, parts: int) -> Said:
        asked.append(messages)
        first = re.search(r"^\[1\] .*\n(.+)$", messages[1]["content"], re.MULTILINE)
        words = " ".join(first.group(1).split()[:6])
        marker = "[9]" if wrong_in in messages[1]["content"] else "[1]"
        return Said(f"Laut Leitfaden gilt: „{words}“ {marker}.")

    return asked, ask


def test_each_section_of_a_memo_is_written_and_checked_on_its_own(root: Path) -> None:
    asked, ask = quoting_writer(wrong_in="„Bewertung“")
    collection = open_collection(root, "vergabe")
    draft = write_draft(collection, DraftRequest("vermerk", SUBJECT), ask, lambda m: None)
    assert [s.id for s in draft.sections] == ["sachverhalt", "bewertung", "vorschlag"]
    assert [s.heading for s in draft.sections] == ["Sachverhalt", "Bewertung", "Vorschlag"]
    assert len(asked) == 3  # one request per section, all from the same sources
    assert len({m[1]["content"].split("\n\n")[0] for m in asked}) == 1
    facts, assessment, proposal = draft.sections
    assert facts.verdict.supported and proposal.verdict.supported
    assert not assessment.verdict.supported
    given = len(draft.sources)
    assert assessment.verdict.problems == [f"[9] nennt keine Quelle (es gibt {given})."]
    assert not draft.supported
    text = render_markdown(draft)
    assert text.startswith(f"# Vermerk: {SUBJECT}\n")
    assert "## Sachverhalt" in text and "## Quellen" in text
    assert "> Ohne Beleg: [9] nennt keine Quelle" in text
    # the deadline's page is among the sources (hinweise.md's "Fristen" section ranks first)
    assert re.search(r"^\[\d\] docs/leitfaden\.pdf, S\. 2$", text, re.MULTILINE), text


def test_a_speech_has_a_part_per_key_point_sized_by_its_minutes() -> None:
    request = DraftRequest("rede", "Vergabe", "Gemeinderat", "Haushaltsrede", 10, ("A", "B"))
    plans = plan_sections(request)
    assert [p.id for p in plans] == ["einstieg", "punkt-1", "punkt-2", "schluss"]
    assert [p.heading["de"] for p in plans] == ["Einstieg", "A", "B", "Schluss"]
    assert [p.heading["en"] for p in plans][::3] == ["Opening", "Closing"]
    budget = sum(p.max_tokens for p in plans)  # 10 minutes ≈ 1,300 words ≈ 2,600 tokens
    assert 2300 <= budget <= 2700
    short = sum(p.max_tokens for p in plan_sections(DraftRequest("rede", "Vergabe", minutes=2)))
    assert short < budget / 3
    braces = DraftRequest("rede", "Vergabe {x}", points=("Kosten {a} und {0}",))
    messages = section_messages(braces, plan_sections(braces)[1], [], "de")
    assert "diesen Punkt ausführt: Kosten {a} und {0}" in messages[1]["content"]
    assert "zu: Vergabe {x}," in messages[1]["content"]


def test_without_a_matching_source_no_model_is_asked(root: Path) -> None:
    def ask(messages: list[dict], max_tokens: int, parts: int) -> Said:
        raise AssertionError("the model must not be asked")

    collection = open_collection(root, "vergabe")
    draft = write_draft(collection, DraftRequest("vermerk", "Quantenchromodynamik"), ask, None)
    assert draft.sections == [] and not draft.asked_model and not draft.supported
    assert "keine Quelle" in render_markdown(draft)


@pytest.fixture(scope="module")
def server(long_model_dir: Path) -> Iterator[str]:
    with serving_process(str(long_model_dir), "winzig") as url:
        yield url


def test_the_cli_writes_a_memo_and_a_speech_from_a_real_server(
    root: Path, server: str, tmp_path: Path
) -> None:
    out = tmp_path / "vermerk.md"
    memo = invoke(
        "assist", "vermerk", "vergabe", "--subject", SUBJECT, "--root", root,
        "--endpoint", f"{server}/v1", "--out", out,
    )  # fmt: skip
    assert memo.exit_code == 1, memo.output  # the random model cites nothing
    assert "Sachverhalt: Dieser Abschnitt nennt keine der Quellen." in memo.output  # as the page
    text = out.read_text(encoding="utf-8")
    for heading in ("# Vermerk: " + SUBJECT, "## Sachverhalt", "## Bewertung", "## Vorschlag"):
        assert f"{heading}\n" in text
    assert "## Quellen\n\n[1] " in text
    assert re.search(r"^\[\d\] docs/leitfaden\.pdf, S\. 2$", text, re.MULTILINE), text
    speech = invoke(
        "--lang", "en", "assist", "rede", "vergabe", "--subject", SUBJECT, "--minutes", "1",
        "--point", "Fristen", "--root", root, "--endpoint", f"{server}/v1", "--json",
    )  # fmt: skip
    assert speech.exit_code == 1
    draft = json.loads(speech.stdout)
    assert [s["heading"] for s in draft["sections"]] == ["Opening", "Fristen", "Closing"]
    assert draft["title"] == f"Speech: {SUBJECT}" and draft["sources"]
    assert all(s["text"] for s in draft["sections"])


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection where one key point (Datenschutz) has many chunks that also name the
    subject, and another (Pauschale) one chunk that does not: one query for both, or one with
    the subject's words, fills every place with the first."""
    folder = tmp_path_factory.mktemp("crowded")
    (folder / "docs").mkdir()
    sections = [f"## Datenschutz {n}\n\nBeim mobilen Arbeiten gilt der Datenschutz: Regel {n} "
                f"für mobiles Arbeiten.\n" for n in range(1, 7)]  # fmt: skip
    sections.append("## Kosten\n\nDie Stadt zahlt eine Pauschale von 25 Euro im Monat.\n")
    sections += [f"## Fuhrpark {n}\n\nDienstfahrzeuge werden im Portal gebucht, Regel {n}.\n"
                 for n in range(1, 14)]  # fmt: skip
    text = "# Richtlinie\n\n" + "\n".join(sections)
    (folder / "docs" / "richtlinie.md").write_text(text, encoding="utf-8")
    ingest(folder / "collections", "amt", [folder / "docs"])
    return folder / "collections"


def test_each_key_point_of_a_speech_gets_its_best_source(crowded: Path) -> None:
    _asked, ask = quoting_writer(wrong_in="-")
    request = DraftRequest("rede", "Mobiles Arbeiten", points=("Datenschutz", "Pauschale"))
    collection = open_collection(crowded, "amt")
    draft = write_draft(collection, request, ask, lambda m: None, k=3, mode="bm25")
    assert len(draft.sources) == 3
    assert any("Pauschale" in chunk.text for chunk in draft.sources)
    assert any("Datenschutz" in chunk.text for chunk in draft.sources)
    assert (draft.sources_found, draft.sources_dropped, draft.note) == (3, 0, None)


def test_sources_the_context_cannot_hold_are_said_to_be_left_out(crowded: Path) -> None:
    def count(messages: list[dict]) -> tuple[int, int]:
        """About four characters a token, in a context of 300 tokens."""
        return sum(len(m["content"]) for m in messages) // 4, 300

    _asked, ask = quoting_writer(wrong_in="-")
    request = DraftRequest("rede", "Mobiles Arbeiten", minutes=1, points=("Datenschutz",))
    collection = open_collection(crowded, "amt")
    draft = write_draft(collection, request, ask, count, k=6, mode="bm25")
    dropped = draft.sources_found - len(draft.sources)
    assert draft.sources_found == 6 and dropped >= 2 and draft.sources_dropped == dropped
    said = f"{dropped} von 6 Quellen wurden weggelassen ("
    why = "). Das Modell kann nur eine begrenzte Menge Text auf einmal lesen."
    assert draft.note is not None and draft.note.startswith(said) and draft.note.endswith(why)
    # which: each left out by its place, none of those kept
    named = re.findall(r"docs/richtlinie\.md, „Richtlinie › (Datenschutz \d)“", draft.note)
    kept = {chunk.section.rsplit(" › ", 1)[-1] for chunk in draft.sources if chunk.section}
    assert len(named) == dropped and not set(named) & kept
    assert render_markdown(draft).startswith(f"# Rede: Mobiles Arbeiten\n\n> {draft.note}\n")
    english = write_draft(collection, request, ask, count, "en", k=6, mode="bm25")
    assert (
        english.note is not None
        and english.note.startswith(f"{dropped} of 6 sources were left out (docs/richtlinie.md, ")
        and english.note.endswith("). The model can read only a limited amount of text at once.")
    )


def test_a_key_point_no_source_matches_is_not_written_as_if_grounded(root: Path) -> None:
    asked, ask = quoting_writer(wrong_in="\0")  # cites [1] only
    request = DraftRequest("rede", SUBJECT, minutes=2, points=("Fristen", "Weltraumbahnhof"))
    draft = write_draft(open_collection(root, "vergabe"), request, ask, lambda m: None)
    opening, deadlines, space, _closing = draft.sections
    assert [s.heading for s in draft.sections][1:3] == ["Fristen", "Weltraumbahnhof"]
    assert len(asked) == 3 and not any("Weltraumbahnhof" in m[1]["content"] for m in asked)
    assert deadlines.verdict.supported and opening.verdict.supported
    assert space.text == "Dieser Teil wurde nicht geschrieben."
    assert not space.verdict.supported and space.verdict.status == "no_citation"
    assert space.verdict.problems == ["Die Sammlung enthält keine Quelle zu diesem Punkt."]
    assert not draft.supported
    shown = render_markdown(draft)
    assert "## Weltraumbahnhof\n\nDieser Teil wurde nicht geschrieben.\n" in shown
    assert "> Ohne Beleg: Die Sammlung enthält keine Quelle zu diesem Punkt.\n" in shown
    english = write_draft(open_collection(root, "vergabe"), request, ask, lambda m: None, "en")
    assert english.sections[2].text == "This part was not written."


def test_a_key_point_whose_source_did_not_fit_says_so_instead_of_borrowing_others(
    crowded: Path,
) -> None:
    def count(messages: list[dict]) -> tuple[int, int]:
        """400 tokens a source, in a context of 1,200: two sources fit beside a task."""
        return 400 * len(re.findall(r"^\[\d+\] ", messages[1]["content"], re.M)), 1200

    asked, ask = quoting_writer(wrong_in="\0")  # cites [1] only
    points = ("Datenschutz", "Pauschale")
    request = DraftRequest("rede", "Dienstfahrzeuge", minutes=1, points=points)
    collection = open_collection(crowded, "amt")
    draft = write_draft(collection, request, ask, count, k=3, mode="bm25")
    assert (draft.sources_found, len(draft.sources)) == (3, 2)
    assert draft.note == (  # the one left out, named: the only source of "Pauschale"
        "1 von 3 Quellen wurde weggelassen (docs/richtlinie.md, „Richtlinie › "
        "Kosten“). Das Modell kann nur eine begrenzte Menge Text auf einmal lesen."
    )
    assert any("Datenschutz" in chunk.text for chunk in draft.sources)
    assert not any("Pauschale" in chunk.text for chunk in draft.sources)
    _opening, privacy, allowance, _closing = draft.sections
    assert privacy.verdict.supported
    assert allowance.text == "Dieser Teil wurde nicht geschrieben."
    reason = (
        "Die Quelle zu diesem Punkt wurde weggelassen. Das Modell kann nur eine begrenzte Menge "
        "Text auf einmal lesen."
    )
    assert allowance.verdict.problems == [reason]
    assert not allowance.verdict.supported and len(asked) == 3
    assert render_markdown(draft).count(reason) == 1  # the part's problem, said once
