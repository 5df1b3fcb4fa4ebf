"""German and English for everything a person reads: a gettext catalogue, German by default.

Messages are written in the code as `_("English text with {placeholders}", name=value)`: a
`Message` that is put into words only when shown, in the reader's language. The CLI shows
German unless `--lang en`, `GEMEINGUT_LANG=en` or an English locale (`LC_ALL`,
`LC_MESSAGES`, `LANG`) asks otherwise; the server answers in the language of each request's
`Accept-Language`. The German texts live in `de.po` (gettext, edited with any PO editor or
Babel); `make messages` extracts new messages into it, and a test fails while one lacks its
German.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import string
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

LANGUAGES = ("de", "en")
DocumentLanguage = Literal["de", "en"]
DEFAULT = "de"
_LOCALES = {"de": "de_DE", "en": "en_US"}
CATALOGUE = Path(__file__).with_name("de.po")
_chosen: ContextVar[str | None] = ContextVar("gemeingut_language", default=None)


class Message:
    """A message id with its values, translated when it is turned into text."""

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, values: dict[str, Any]) -> None:
        self.msgid = msgid
        self.values = values

    def render(self, language: str | None = None) -> str:
        language = language or current_language()
        template = translations(language).get(self.msgid) or self.msgid
        values = {name: _shown(value, language) for name, value in self.values.items()}
        formatter = _FORMATTERS[language]
        try:
            return formatter.vformat(template, (), values)
        except (KeyError, IndexError, ValueError):  # a broken translation: say it in English
            return _FORMATTERS["en"].vformat(self.msgid, (), values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.msgid, self.values) == (other.msgid, other.values)
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self.msgid)


class _Formatter(string.Formatter):
    """`{name!r}` in a message quotes a name in its reader's language: „anna“ in German, as
    Python writes it in English ('anna', which records keep); a German name's control
    characters are written out as repr writes them (`visible`), never sent to a terminal."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "r" and isinstance(value, str) and self.language == "de":
            from gemeingut.i18n.visible import visible

            return f"„{visible(value)}“"
        return super().convert_field(value, conversion)


_FORMATTERS = {language: _Formatter(language) for language in LANGUAGES}


class Recorded(str):
    """A message as a machine-readable record keeps it: its English text, a plain `str` to JSON,
    YAML, comparisons and f-strings (a record's bytes never depend on the language of whoever
    made it), which also carries the message, so that `text` shows a person the same sentence
    in their language."""

    message: Message | str

    def __new__(cls, message: Message | str) -> Recorded:
        if isinstance(message, Recorded):
            return message
        value = super().__new__(cls, text(message, "en"))
        value.message = message
        return value


for _dumper in (yaml.SafeDumper, yaml.Dumper):  # YAML writes a record's English as a string
    _dumper.add_representer(Recorded, yaml.representer.SafeRepresenter.represent_str)


def _shown(value: Any, language: str) -> Any:
    """A nested message in the same language; a number as the language writes it (`numeral`):
    any real number, numpy's too (a float32 score, an int64 count are no Python int or float),
    but not a truth value."""
    if isinstance(value, Recorded):
        return text(value.message, language)
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return numeral(value, language)
    return value


# Floats between these magnitudes are written out digit by digit (0,000001; 1.000.000), as
# ECMAScript's Number::toString does; beyond them, a document's reader gets the exponent.
POSITIONAL = (1e-6, 1e21)


def numeral(value: float, language: str) -> str:
    """A number as `language` writes it, in a message and in a document's tables alike: with
    digit groups (1.000 in German, 1,000 in English) and a decimal comma in German (0,0002;
    12.345,678). A float keeps exactly the digits Python shows (its shortest round-trip form,
    a numpy float32's in its own precision: never rounded here, which is the caller's choice,
    as the card's perplexity to 2 places), written out in full within `POSITIONAL` and with its
    exponent beyond (1e+300 as 1e+300, 2,5e-07 in German); -0.0 is 0."""
    from decimal import Decimal

    from babel.numbers import format_decimal

    if isinstance(value, numbers.Integral):
        try:
            return format_decimal(value, locale=_LOCALES[language])
        except (ArithmeticError, ValueError):  # beyond what a decimal holds: as Python writes it
            return str(value)
    if isinstance(value, numbers.Real) and not isinstance(value, float) and hasattr(value, "dtype"):
        # a numpy float32 (a weight, a score) by the shortest digits that read back as it: as
        # a float64 it shows digits (0.1 → 0.10000000149011612) that its precision never held
        value = float(str(value))
    value = float(value)  # numpy's float64 too, as Python writes a float
    if not math.isfinite(value) or not (value == 0 or POSITIONAL[0] <= abs(value) < POSITIONAL[1]):
        return localized(repr(value), language)
    digits = Decimal(repr(value + 0.0))  # + 0.0: -0.0 becomes 0.0
    return format_decimal(digits, locale=_LOCALES[language], decimal_quantization=False)


def _(msgid: str, **values: Any) -> Message:
    """Mark `msgid` for the catalogue; placeholders are `{name}`, filled from `values`."""
    return Message(msgid, values)


def plural(count: int, one: Message, other: Message, none: Message | None = None) -> Message:
    """`one` for exactly one, `other` for every other count: German and English choose the
    singular by this one rule (CLDR's `one`), so a count never reads "1 Dokumente"; `none`,
    where given, for zero, which a sentence says in words ("kein Schlüssel", not "0 Schlüssel")."""
    if count == 0 and none is not None:
        return none
    return one if count == 1 else other


def listed(items: Sequence[Message | str]) -> Message | str:
    """Items as a list in running text, "a, b, c", each rendered in the language of the
    whole; at least one item."""
    shown = items[0]
    for item in items[1:]:
        shown = _("{items}, {item}", items=shown, item=item)
    return shown


def quoted(names: list[str]) -> Message:
    """Names (a collection's, a document's) in the quotes of the reader's language, apart by
    commas: „a“, „b“ in German, 'a', 'b' in English; at least one name. A name's control
    characters are written out (`visible`), as repr wrote them: never sent to a terminal."""
    from gemeingut.i18n.visible import visible

    shown = _("'{name}'", name=visible(names[0]))
    for name in names[1:]:  # nested, each rendered in the language of the whole
        shown = _("{names}, {name}", names=shown, name=_("'{name}'", name=visible(name)))
    return shown


def text(message: str | Message, language: str | None = None) -> str:
    """A message in `language` (default: the current one); plain strings stay as they are."""
    if isinstance(message, Recorded):
        message = message.message
    return message.render(language) if isinstance(message, Message) else str(message)


def recorded(message: Message | str) -> Recorded:
    """`message` for a record: English, and shown to a reader in their language by `text`."""
    return Recorded(message)


def translator(language: str) -> Callable[..., str]:
    """`_` for a document written in `language`: a template calls it as the code calls `_`
    (the same catalogue, extracted from the `.j2` files too) and gets the text at once."""

    def translate(msgid: str, **values: Any) -> str:
        return Message(msgid, values).render(language)

    return translate


def decimal(value: float, digits: int, language: str, grouped: bool = True) -> str:
    """`value` rounded to `digits` decimals as `language` writes it (`1.234,57` in German;
    `1234,57` when not `grouped`): a document and the check that reads it back format a
    number with this one function."""
    from babel.numbers import format_decimal

    whole = "#,##0" if grouped else "0"
    pattern = whole + "." + "0" * digits if digits else whole
    return format_decimal(value, format=pattern, locale=_LOCALES[language])


def as_written(written: str, language: str) -> str:
    """A number Python wrote with digit groups and decimals (`f"{n:,}"`, `f"{x:,.2f}"`) as
    `language` writes it: German swaps the marks (`1.234,57`); English stays byte for byte."""
    return written.translate(str.maketrans(",.", ".,")) if language == "de" else written


def localized(written: str, language: str) -> str:
    """A number Python wrote (`4.39`, `1.2e+12`) with a decimal comma in German (`4,39`)."""
    return re.sub(r"(\d)\.(\d)", r"\1,\2", written) if language == "de" else written


def current_language() -> str:
    chosen = _chosen.get()
    return chosen if chosen is not None else environment_language()


def environment_language() -> str:
    """GEMEINGUT_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG): English only if it says
    so, German otherwise (also for C and POSIX, the locale of a bare server)."""
    for name in ("GEMEINGUT_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip().lower()
        if value:
            return "en" if value.startswith("en") else DEFAULT
    return DEFAULT


@contextmanager
def use_language(language: str):
    """Messages turned into text inside this block use `language`."""
    token = _chosen.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _chosen.reset(token)


def accepted_language(header: str | None) -> str:
    """The first of our languages an `Accept-Language` header prefers (q-values honoured);
    German when it names neither."""
    ranked = []
    for index, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT


def translations(language: str) -> dict[str, str]:
    """msgid → text for `language`; English is the msgid itself. German from `de.po`, or
    from the catalogue `other_catalogue` puts in its place."""
    if language != "de":
        return {}
    other = _other.get()
    return _own_translations() if other is None else other


@cache
def _own_translations() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        return read_catalogue(handle.read())


def read_catalogue(po: bytes) -> dict[str, str]:
    """msgid → German text of a PO catalogue (read as data: another gemeingut's too, so a
    malformed one is a ValueError, never babel's warnings printed to stdout, and a plural
    entry, which no message of ours is, is left out)."""
    from io import BytesIO

    from babel.messages.pofile import PoFileError, read_po

    try:
        catalogue = read_po(BytesIO(po), abort_invalid=True)
    except (PoFileError, LookupError) as exc:  # LookupError: a charset Python does not know
        raise ValueError(f"not a PO catalogue: {exc}") from exc
    return {
        m.id: m.string
        for m in catalogue
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
        if not m.fuzzy
    }


_other: ContextVar[dict[str, str] | None] = ContextVar("gemeingut_catalogue", default=None)


@contextmanager
def other_catalogue(german: dict[str, str]):
    """German said with `german` (another version's catalogue, `read_catalogue`) within the
    block: `verify` renders a document again with the words of the version that wrote it."""
    token = _other.set(german)
    try:
        yield
    finally:
        _other.reset(token)
