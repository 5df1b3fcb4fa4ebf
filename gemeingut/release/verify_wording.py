"""A document rendered again in the words of the gemeingut that wrote the bundle.

`verify` renders the card, NOTICE and the derived documents again and compares them byte for
byte. A bundle built by an earlier gemeingut differs wherever a translation changed since (a
heading, a label), though nobody touched it. Running that version's code is no option for a
verifier (the bundle could carry any code); its German catalogue (training-code/gemeingut/i18n/
de.po) is data, read as such: the document is rendered again by this version's code with that
version's words, and compared exactly. It is used only where the bundle's own source is another
version that its lineage names too (`verify_format`), and only a text of that catalogue that
differs from this version's in words alone: never in a digit, a mark or a placeholder, so that
every fact is still shown as the files give it, in its place, and compared (`_only_words`).
What the catalogue cannot account for (changed English texts, templates, other facts) still
differs and is named.

Words can still lie around a true value ("the weights' licence is MIT, not `CC-BY-4.0`"), and
the catalogue is bytes whoever alters a bundle writes too. So a document that matches only in
its writer's words (`OlderWording`) is a problem, unless a signer vouches for those words: the
bundle's signature checked with `verify --key` (or `sign`, whose signer is about to). What
--key vouches for is that the holder of that key signed these words, not that they are true:
whom to trust is the verifier's choice of key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from gemeingut.i18n import Message, _, read_catalogue, translations
from gemeingut.release.verify_format import writers
from gemeingut.release.verify_snapshot import PACKAGE, snapshot_code
from gemeingut.workspace import code_version

CATALOGUE = f"{PACKAGE}/i18n/de.po"


@dataclass(frozen=True)
class Wording:
    """The version that wrote the bundle, and its German."""

    writer: str
    german: dict[str, str]


class OlderWording(Message):
    """A document that differs from this version's rendering (`differs` says how) but is
    exactly the one the files give in the words of the version that wrote the bundle. Said as
    a problem (nothing vouches for those words); `vouched` is what `verify` says beside its
    verdict instead where a signer vouches for them."""

    __slots__ = ("file", "writer")

    def __init__(self, file: str, writer: str, differs: Message) -> None:
        said = _(
            "{differs}; it may be worded as {writer} words it (rendered again with that "
            "version's German, its {catalogue}, it is exactly the one the files give), but "
            "only a signature vouches for those words (whoever alters a bundle can write that "
            "catalogue too): check it with `gemeingut verify --key PUBLIC_KEY`, the key of its "
            "publisher",
            differs=differs,
            writer=writer,
            catalogue=CATALOGUE,
            file=file,
        )
        super().__init__(said.msgid, said.values)
        self.file = file
        self.writer = writer

    def vouched(self) -> Message:
        """The document as compared, where the signature checked vouches for its words."""
        return _(
            "{file} is worded as {writer} words it, not as this version does: rendered again "
            "with that version's German (its {catalogue}), it is exactly the one the files give",
            file=self.file,
            writer=self.writer,
            catalogue=CATALOGUE,
        )


def writer_wording(bundle: Path) -> Wording | None:
    """The German of the version that wrote the bundle, where it is another than this one,
    its own source says so and its lineage agrees, and its catalogue can be read."""
    writer = snapshot_code(bundle)
    if writer is None or writer == code_version() or writer not in writers(bundle):
        return None
    try:
        german = read_catalogue((bundle / CATALOGUE).read_bytes())
    except (OSError, ValueError):  # no catalogue, or not one (`read_catalogue`)
        return None
    ours = translations("de")
    kept = {k: v for k, v in german.items() if _only_words(v, ours.get(k, k))}
    return Wording(writer, kept)


def _only_words(theirs: str, ours: str) -> bool:
    """Whether the writer's text for a message differs from this version's in words alone.
    The bundle's catalogue is data its tamperer writes too (its code version is computed from
    bytes they control): a text that differs in a digit, a mark or a placeholder could write
    a number or a licence in place of the value the files give, hide it (`<!-- {x} -->`,
    `{x:.0}`), swap two (`{total} of {kept}`), read more than the values (`{x.__class__}`,
    `{x:{x.__class__}}`) or pad one to a gigabyte (`{x:>999999999}`), and so pass a changed
    fact; its words can only reword."""
    skeleton = _skeleton(ours)
    return skeleton is not None and _skeleton(theirs) == skeleton


def _skeleton(template: str) -> str | None:
    """A message without the letters and spaces of its words: its digits, punctuation and
    markup, and its placeholders in their order as written; None for no format string."""
    try:
        parts = []
        for literal, field, spec, conversion in Formatter().parse(template):
            parts.append("".join(c for c in literal if not c.isalpha() and c != " "))
            if field is not None:
                parts.append(f"{{{field}!{conversion or ''}:{spec}}}")
        return "".join(parts)
    except ValueError:
        return None
