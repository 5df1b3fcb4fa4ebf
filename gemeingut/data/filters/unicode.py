"""Repair mojibake ("MÃ¼nchen" → "München") before any filter measures the text.

Text decoded with the wrong codec is common in scraped and converted German sources, and it
hurts twice: the words look foreign to language identification and every umlaut becomes two
symbols for the quality filters. ftfy undoes the known codec mix-ups; the settings below keep
what is legitimate German typography: „Anführungszeichen“, ‚halbe‘, »Guillemets«, § and –.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from ftfy import TextFixerConfig, fix_text
from ftfy.chardata import CHARMAP_ENCODINGS

from gemeingut.data.documents import Document, ExclusionSink


def _decoded(byte_values: list[int]) -> str:
    """These bytes as every single-byte codec ftfy knows shows them: the alphabet of mojibake."""
    chars = {bytes([v]).decode(codec) for codec in CHARMAP_ENCODINGS for v in byte_values}
    return re.escape("".join(sorted(chars)))


# A line can only need ftfy if it has a character beyond Latin-1 and common punctuation, an
# HTML entity, or a pair that UTF-8 turns into when it is misread: a lead byte followed by a
# continuation byte, or by the space / "?" that ftfy's repairs of damaged mojibake look for.
# German text without these is left exactly as ftfy would leave it (tested pair by pair) and
# costs one regex scan instead of ftfy's work per line (~1 MB/s on hard-wrapped law text).
_SAFE = "\t\n\x20-\x7e\u00a0-\u00ff\u2010-\u2027\u2030-\u205e\u20ac"
_SUSPECT = re.compile(
    f"[^{_SAFE}]"
    f"|[{_decoded(list(range(0xC2, 0xF5)))}][{_decoded(list(range(0x80, 0xC0)))}]"
    f"|[{_decoded([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xE2, 0xE3, 0xF0])}] "
    f"|[{_decoded([0xC2, 0xC3, *range(0xE0, 0xF0)])}]\\?"
    r"|&#?\w+;"
)


def _suspect_lines(text: str) -> list[int]:
    """Numbers of the lines with a suspect match, from one scan of the whole text.

    No pattern can match a newline, so every match lies inside one line and a scan of the
    whole text finds a match in exactly the lines where a scan of each line would: one regex
    call per text instead of one per line (laws have about 40 lines per 1,000 characters)."""
    lines: list[int] = []
    line, position = 0, 0
    for match in _SUSPECT.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


@dataclass
class FixUnicode:
    """Fix encoding errors with ftfy; never drops a document, counts the ones it changed."""

    # ftfy's default would turn „…“ and ’ into straight quotes: German text keeps them.
    uncurl_quotes: bool = False
    # "&amp;" → "&" only in texts without "<" (ftfy's "auto"): entities are artifacts in plain
    # text, markup is left alone.
    unescape_html: bool | Literal["auto"] = "auto"
    # Ligatures (ﬁ, ﬂ) and fullwidth letters come from PDF and East Asian fonts, not German.
    fix_latin_ligatures: bool = True
    fix_character_width: bool = True
    normalization: Literal["NFC", "NFD", "NFKC", "NFKD"] | None = "NFC"
    name: str = "fix_unicode"
    documents_seen: int = field(default=0, init=False)
    documents_changed: int = field(default=0, init=False)
    _config: TextFixerConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._config = TextFixerConfig(
            unescape_html=self.unescape_html,
            uncurl_quotes=self.uncurl_quotes,
            fix_latin_ligatures=self.fix_latin_ligatures,
            fix_character_width=self.fix_character_width,
            normalization=self.normalization,
            explain=False,  # we only want the text; explanations cost time
        )

    def fix(self, text: str) -> str:
        """ftfy's `fix_text`, which works line by line, applied to the suspect lines only."""
        suspect = _suspect_lines(text)
        if not suspect:
            return text
        config = self._config
        if config.unescape_html == "auto" and "<" in text:
            config = config._replace(unescape_html=False)
        lines = text.split("\n")
        last = len(lines) - 1
        pieces = [line + "\n" if i < last else line for i, line in enumerate(lines)]
        for i in suspect:
            pieces[i] = fix_text(pieces[i], config)
        return "".join(pieces)

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            self.documents_seen += 1
            fixed = self.fix(doc.text)
            if fixed != doc.text:
                doc.text = fixed
                self.documents_changed += 1
            yield doc

    def stats(self) -> dict[str, int]:
        return {"seen": self.documents_seen, "documents_changed": self.documents_changed}
