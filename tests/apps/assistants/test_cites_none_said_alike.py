"""A draft's section that cites nothing is said in one sentence wherever it is shown: the
Markdown and the CLI under "Ohne Beleg:", the page after its own "Ohne Beleg:" (one message,
not "the answer" there and "this section" here). A real collection in tmp."""

from __future__ import annotations

from pathlib import Path

from gemeingut.apps.assistants.drafts import DraftRequest, render_markdown, write_draft
from gemeingut.apps.rag.answer import Said
from gemeingut.apps.rag.index import open_collection
from gemeingut.apps.web.texts import page_texts
from tests.apps.assistants.test_drafts import SUBJECT
from tests.apps.assistants.test_drafts import root as root  # a fixture

SAID = "Ohne Beleg: Dieser Abschnitt nennt keine der Quellen."


def test_a_section_citing_nothing_is_said_alike_in_markdown_and_on_the_page(root: Path) -> None:
    def ask(messages: list[dict], max_tokens: int, parts: int) -> Said:
        return Said("Die Frist ist einzuhalten.")  # no citation

    request = DraftRequest("vermerk", SUBJECT)
    draft = write_draft(open_collection(root, "vergabe"), request, ask, lambda m: None)
    problems = {tuple(s.verdict.problems) for s in draft.sections}
    assert problems == {("Dieser Abschnitt nennt keine der Quellen.",)}, problems
    assert render_markdown(draft).count(f"> {SAID}\n") == len(draft.sections)
    page = page_texts("de")["section_no_citation"]  # the page puts the problem after it
    assert f"{page} {draft.sections[0].verdict.problems[0]}" == SAID
