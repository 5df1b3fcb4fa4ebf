"""A model folder's card (README.md: text and YAML header) and the licence it names, read one
way for every command that needs them: `model finetune` (is a derivative allowed?) and
`openness rate` (is the model open?) must never read the same folder differently.

A card that is not UTF-8 or whose header does not parse is an error, never "no licence": read
as none, the model would be judged as if its publisher named nothing. A list of licences in
the header means every one applies (`A AND B`): the cautious reading, since a card does not
say whether the list offers a choice. A LICENSE file we recognise names the licence where the
card does not; where both name one and they disagree, both apply and the caller says so. A
LICENSE file whose text we do not recognise is named too: it may hold other terms than the
card's, and only a person can tell.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from license_expression import ExpressionError, get_spdx_licensing

from gemeingut.data.licence_families import same_licence
from gemeingut.data.licence_texts import identified_licences, likeliest_licence
from gemeingut.data.licenses import parse_expression
from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.hub_licences import spdx_of_hub

CARD_FILE = "README.md"
LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "license.txt")
_UTF8_BOM = b"\xef\xbb\xbf"
_HEADER_HINT = _("fix the header between the '---' lines, or ask the publisher for a valid card")
_REF_CHARACTERS = re.compile(r"[^A-Za-z0-9.-]+")  # what an SPDX LicenseRef id may not hold
_licensing = get_spdx_licensing()


@dataclass(frozen=True)
class Card:
    text: str  # the card after its YAML header
    header: dict[str, Any]  # {} for a card without one
    sha256: str


@dataclass(frozen=True)
class NamedLicence:
    """The licence a folder names: the card's, else its LICENSE file's; both (AND) where they
    disagree."""

    licence: str | None
    source: str  # "card", "LICENSE file", "card and LICENSE file", "none"
    evidence: str  # the file(s) that say it
    card: str | None  # what the card's header says
    file: tuple[str, str] | None  # (licence, file name) of a LICENSE file we recognise
    unrecognised: str | None = None  # the name of a LICENSE file whose text we do not know

    @property
    def disagreement(self) -> bool:
        """Two sources name licences that differ ("card and LICENSE file", "card and GGUF
        metadata")."""
        return self.source.startswith("card and ")


def read_card(folder: Path) -> Card | None:
    """The card of `folder` (None without one)."""
    path = folder / CARD_FILE
    if not path.is_file():
        return None
    raw = path.read_bytes()
    text, digest = _decoded(path, raw), hashlib.sha256(raw).hexdigest()
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "---"), None)
    if start == len(lines) or lines[start].strip() != "---" or end is None:
        return Card(text, {}, digest)
    header = _header(path, "".join(lines[start + 1 : end]), first_line=start + 2)
    return Card("".join(lines[end + 1 :]), header, digest)


def _decoded(path: Path, raw: bytes) -> str:
    """The card as text: UTF-8 (a BOM is no content), or an error that says what it is."""
    try:
        return raw.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or raw[:200].count(b"\x00") > 4:
            message = _("{path} is not UTF-8 (it looks like UTF-16)", path=str(path))
        else:
            line = raw[: error.start].count(b"\n") + 1
            message = _(
                "{path} is not UTF-8 (line {line}: byte {byte})",
                path=str(path),
                line=str(line),
                byte=f"0x{raw[error.start]:02x}",
            )
        raise InputError(message, _("save it as UTF-8")) from None


def _header(path: Path, block: str, first_line: int) -> dict[str, Any]:
    try:
        header = yaml.safe_load(block)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        raise InputError(
            _(
                "{path}, line {line}: the card's YAML header cannot be read: {problem}",
                path=str(path),
                line=str(line),
                problem=getattr(error, "problem", None) or str(error),
            ),
            _HEADER_HINT,
        ) from None
    if header is not None and not isinstance(header, dict):
        raise InputError(
            _("{path}: the card's YAML header is not a mapping of fields", path=str(path)),
            _HEADER_HINT,
        )
    return header or {}


def card_licence(header: dict[str, Any], path: Path) -> str | None:
    """The licence the card's header names, as an SPDX expression where it is one: `other`
    names itself in `license_name`; a list means every licence in it applies."""
    value = header.get("license")
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list) and all(_is_id(v) for v in value):
        return all_apply([_named(str(v), header) for v in value])
    raise InputError(
        _(
            "{path}: the card's 'license' is not a licence id or a list of them: {value}",
            path=str(path / CARD_FILE),
            value=str(value),
        ),
        _HEADER_HINT,
    )


def all_apply(licences: list[str]) -> str:
    """The SPDX expression of several licences that all apply (`A AND (B OR C)`)."""
    unique = list(dict.fromkeys(licences))
    return " AND ".join(f"({x})" if " " in x and len(unique) > 1 else x for x in unique)


def _is_id(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _named(value: str, header: dict[str, Any]) -> str:
    """One licence as SPDX spells it (the Hub's ids mapped: `hub_licences.py`), or a LicenseRef
    for `other` (never read as the licence its name resembles: `other` says it is none of the
    Hub's list; `parse_expression` reads a LicenseRef as itself, not by the SPDX index's
    aliases such as `LicenseRef-Apache-2.0`)."""
    if value.strip().lower() != "other":
        return canonical(value.strip())
    return licence_ref(str(header.get("license_name") or "other"))


def licence_ref(name: str) -> str:
    """`name` as SPDX spells terms of their own: `LicenseRef-` and the characters it allows."""
    return "LicenseRef-" + _REF_CHARACTERS.sub("-", name).strip("-")


def is_other(licence: str | None) -> bool:
    """Whether `licence` is what a card's `license: other` reads as: terms of its own."""
    return bool(licence) and str(licence).startswith("LicenseRef-")


def canonical(expression: str) -> str:
    """SPDX's spelling of the ids it knows (`apache-2.0` is `Apache-2.0`; the Hub's `odbl`,
    ODbL-1.0: `hub_licences.py`), others as written."""
    expression = spdx_of_hub(expression)
    try:
        parsed = parse_expression(expression)
    except ExpressionError:
        return expression
    return str(parsed) if parsed is not None else expression


def licence_file(folder: Path) -> tuple[str, str] | None:
    """The licence of a LICENSE file in `folder` whose text we recognise, and the file's name."""
    return _licence_files(folder)[0]


def _licence_files(folder: Path) -> tuple[tuple[str, str] | None, str | None]:
    """The first LICENSE file whose text we recognise (licence, name), and else the name of
    the first one we do not."""
    unknown = None
    for name in LICENSE_FILES:
        if (folder / name).is_file():
            text = (folder / name).read_text(encoding="utf-8", errors="replace")[:20_000]
            named = identified_licences(text)  # `SPDX-License-Identifier: …` lines only
            spdx = " AND ".join(named) if named else likeliest_licence(text)
            if spdx is not None:
                return (spdx, name), None
            unknown = unknown or name
    return None, unknown


def named_licence(folder: Path, card: Card | None) -> NamedLicence:
    """The licence `folder` names in its card and its LICENSE file."""
    said = card_licence(card.header, folder) if card is not None else None
    file, unknown = _licence_files(folder)
    if said is None and file is None:
        return NamedLicence(None, "none", CARD_FILE, None, None, unknown)
    if said is None:
        return NamedLicence(file[0], "LICENSE file", file[1], None, file)
    if file is None or covers(said, file[0]):
        return NamedLicence(said, "card", CARD_FILE, said, file, unknown)
    both = all_apply([said, file[0]])
    return NamedLicence(both, "card and LICENSE file", f"{CARD_FILE}, {file[1]}", said, file)


def covers(expression: str, licence: str) -> bool:
    """Whether `licence` (a LICENSE file's, a GGUF file's) is one the card's expression names
    (or of its family: the card's `openrail`, the LICENSE file's CreativeML OpenRAIL-M)."""
    try:
        parsed = parse_expression(expression)
    except ExpressionError:
        return same_licence(expression.strip(), licence)
    keys = _licensing.license_keys(parsed) if parsed is not None else []
    return any(same_licence(key, licence) for key in keys)
