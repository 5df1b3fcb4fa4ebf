"""A served model's card: its README.md, read once at start, served at
`GET /v1/models/{id}/card` and named on `/v1/models` with its title and first paragraph.

The card is the model folder's README.md (Hugging Face's place for it), or the release
bundle's where the folder is a bundle's `model/`; behind `--upstream` it is the card of the
folder named with `--model-card`. A model without one has no card (`card: null`, and a 404 at
its card's address): the server never writes one for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, Field

from gemeingut.model.card_header import CARD_FILE, read_card

SUMMARY_CHARS = 300  # a card's first paragraph can be long; the whole card is one link away
# Lines that start no prose paragraph: headings, tables, lists, quotes, HTML, images, code.
NOT_PROSE = re.compile(r"^\s*(#|\||[-*+] |\d+\. |>|<|!\[|```|~~~|---|===)")


class CardLink(BaseModel):
    """What `/v1/models` says of a model's card."""

    url: str = Field(description="The card (Markdown) on this server, a path from its root.")
    title: str | None = Field(description="The card's first heading.")
    summary: str | None = Field(description="The card's first paragraph, shortened.")


@dataclass(frozen=True)
class ModelCardText:
    """A model's README.md as read at start."""

    markdown: str
    title: str | None
    summary: str | None

    def link(self, model: str) -> CardLink:
        url = f"/v1/models/{quote(model)}/card"
        return CardLink(url=url, title=self.title, summary=self.summary)


def model_card(model_dir: Path) -> ModelCardText | None:
    """The card of the model in `model_dir` (None without one). A card that is not UTF-8 or
    whose YAML header does not parse is an `InputError`, as when the folder is rated."""
    folder = model_dir
    if not (folder / CARD_FILE).is_file() and model_dir.name == "model":
        folder = model_dir.parent  # a release bundle keeps its card beside model/
    card = read_card(folder)
    if card is None:
        return None
    markdown = (folder / CARD_FILE).read_text(encoding="utf-8-sig")
    title, summary = _title_and_summary(card.text)
    name = card.header.get("model_name")
    return ModelCardText(markdown, title or (str(name) if name else None), summary)


def _title_and_summary(text: str) -> tuple[str | None, str | None]:
    """The first `# ` heading, and the first paragraph of prose after it (or anywhere, for a
    card without a heading)."""
    lines = text.splitlines()
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    title = (lines[heading][2:].strip() or None) if heading is not None else None
    paragraph: list[str] = []
    for line in lines[(heading + 1) if heading is not None else 0 :]:
        if not line.strip() or NOT_PROSE.match(line):
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    summary = " ".join(paragraph)
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return title, summary or None
