"""Replace personal data in document text by typed placeholders such as `<EMAIL>`.

Every detector pairs a cheap regular expression with a check that real identifiers pass and
look-alikes do not (mod-97 for IBANs, ISO 7064 for tax ids, `ipaddress` for addresses, the
`phonenumbers` metadata for phone numbers), because our largest German source is legal text
full of paragraph numbers, dates, amounts and outline numbering that a bare regex would eat.
Person names have no checksum: they count where the text marks a person (Herr, Frau Dr.,
gez., Mr), see `person_names`. Only counts per type leave this module; the replaced values are
never logged or stored.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from phonenumbers import Leniency, PhoneNumberMatcher

from gemeingut.data.documents import Document, ExclusionSink
from gemeingut.data.person_names import find_person_names
from gemeingut.errors import RecipeError
from gemeingut.i18n import _, plural

Span = tuple[int, int]

# Applied in this order: e-mails first (their local parts may hold digits), then the
# checksum-backed identifiers, so that phone detection cannot swallow an IBAN or a tax id;
# names last, as no placeholder reads as one.
PII_TYPES = ("email", "iban", "tax_id", "ip_address", "phone", "person_name")
PLACEHOLDERS = {kind: f"<{kind.upper()}>" for kind in PII_TYPES}
# What each kind is called where a person reads what was looked for (the data statement).
KIND_NAMES = {
    "email": _("e-mail addresses"),
    "iban": _("IBANs"),
    "tax_id": _("tax ids"),
    "ip_address": _("public IPv4 addresses"),
    "phone": _("phone numbers"),
    "person_name": _("names after a form of address or a title"),
}

# --- e-mail ---------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w%+-][\w.%+-]*@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")


def _emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        yield match.span()


# --- IBAN (ISO 13616) -----------------------------------------------------------------------

# Lengths from the SWIFT IBAN registry; countries not listed are accepted at 15-34 characters.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

# Printed in groups of four or without spaces; the tail may overshoot into a following
# capitalised word ("... 3201 BLZ"), which `_ibans` trims back to a valid group boundary.
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d\d(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?")


def is_valid_iban(candidate: str) -> bool:
    """ISO 13616: known length for the country, and mod 97 of the rearranged number is 1."""
    iban = candidate.replace(" ", "").upper()
    if not (15 <= len(iban) <= 34 and iban.isascii() and iban.isalnum()):
        return False
    if not (iban[:2].isalpha() and iban[2:4].isdigit()):
        return False
    if len(iban) != IBAN_LENGTHS.get(iban[:2], len(iban)):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _ibans(text: str) -> Iterator[Span]:
    for match in _IBAN.finditer(text):
        if match.end() < len(text) and text[match.end()].isalnum():
            continue  # part of a longer token
        value = match.group()
        # longest first: the whole match, then each shorter prefix that ends before a space
        ends = [len(value)] + [i for i in range(len(value) - 1, 0, -1) if value[i] == " "]
        for end in ends:
            if is_valid_iban(value[:end]):
                yield match.start(), match.start() + end
                break


# --- German tax identification number (Steuer-IdNr) -----------------------------------------

# A character class first lets `re` skip ahead quickly; the look-behind then checks the start.
_TAX_ID = re.compile(r"[1-9](?<![\w.,/][1-9])\d(?: ?\d{3}){3}(?!\d|[.,]\d)")


def tax_id_check_digit(first_ten: str) -> int:
    """ISO 7064 MOD 11,10 over the first ten digits."""
    product = 10
    for digit in first_ten:
        total = (int(digit) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10


def is_valid_tax_id(candidate: str) -> bool:
    """11 digits, no leading 0; among the first ten exactly one digit occurs twice or three
    times (three never in a row) and all others at most once; last digit is the check digit."""
    number = candidate.replace(" ", "")
    if len(number) != 11 or not number.isascii() or not number.isdigit() or number[0] == "0":
        return False
    first_ten = number[:10]
    repeated = [count for count in Counter(first_ten).values() if count > 1]
    if len(repeated) != 1 or repeated[0] not in (2, 3):
        return False
    if any(first_ten[i] == first_ten[i + 1] == first_ten[i + 2] for i in range(8)):
        return False
    return tax_id_check_digit(first_ten) == int(number[10])


def _tax_ids(text: str) -> Iterator[Span]:
    for match in _TAX_ID.finditer(text):
        if is_valid_tax_id(match.group()):
            yield match.span()


# --- public IPv4 addresses ------------------------------------------------------------------

_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}(?:\.\d{1,3}){3}(?!\w|\.\d)")
_IP_CONTEXT = re.compile(r"(?i:\bip(?:v4)?\b|\bserver|\bhost|://)")
_CODE_MAX_PART = 99


def _ip_addresses(text: str) -> Iterator[Span]:
    for match in _IPV4.finditer(text):
        try:
            address = ipaddress.IPv4Address(match.group())  # rejects parts > 255, leading zeros
        except ValueError:
            continue
        if not address.is_global or address.is_multicast:  # is_global admits 224.0.0.0/4
            continue
        # German law numbers annex items ("9.3.1.51", "54.4.4.1") and products ("25.50.11.34")
        # as dotted quads that parse as public addresses. Quads of parts below 100 (about 3 %
        # of public addresses) count only with "IP", "Server", "Host" or "://" nearby.
        if max(address.packed) <= _CODE_MAX_PART and not _near(
            _IP_CONTEXT, text, match.start(), match.end()
        ):
            continue
        yield match.span()


def _near(words: re.Pattern[str], text: str, start: int, end: int, reach: int = 40) -> bool:
    return bool(words.search(text, max(0, start - reach), min(len(text), end + reach)))


# --- phone numbers --------------------------------------------------------------------------

# Candidates start with "+" or a trunk "0" (as German numbers are written), not right after a
# digit and a space ("1 043 788 691" is an amount), and run over digits and separators, across
# a line break only into an indented continuation. This is both the cheap pre-check and the
# guard against amounts, years and paragraph numbers, which `phonenumbers` alone accepts as
# valid German numbers ("1683", "350 000", "3.7.2018").
_PHONE_CANDIDATE = re.compile(
    r"[+(0](?<![\w+.,/-][+(0])(?<!\d[ \u00a0\u2009][+(0])"
    r"(?:(?<=\+) ?\d|(?<=\()(?:\+ ?\d|0)|(?<=0))"
    r"(?:[\d ()/.\-\u2010-\u2015\u00a0\u2009]|\n(?=[ \t]*[\d(])){5,}\d"
)
_DECIMALS = re.compile(r",\d")  # "082 876 331,12" is an amount
# dates (01.02.2023), dotted code lists (02.01.04.01), CAS registry numbers (736150-63-3),
# digits spelled out one by one (a check-digit example: 0 8 9 0 1 3 3 5 0 8 0 7)
_NOT_PHONE = re.compile(
    r"\d{1,2}\. ?\d{1,2}\. ?(?:\d{4}|\d{2})|\d\d(?:\.\d\d)+|\d{2,7}-\d\d-\d|\d(?: \d){5,}"
)
_MIN_PHONE_DIGITS = 8  # "03 01 05" (a waste code) is a valid Berlin number
# Shorter numbers and the shape of customs tariff numbers (0403 90 11 00) count only after a
# word like "Tel." or "Fax": German law is full of 8-digit codes that are valid phone numbers
# by shape (municipality keys 08335001, tariff numbers 0403 90 11, vessel numbers 0232 6324).
_CONTEXT_FREE_DIGITS = 10
_TARIFF_NUMBER = re.compile(r"\d{4} \d\d \d\d \d\d")
_PHONE_CONTEXT = re.compile(r"(?i:\b(?:tel(?:\b|efon|efax)|fax|ruf|mobil|handy|phone))")


def _collapse_whitespace(value: str) -> tuple[str, list[int]]:
    """`value` with each whitespace run as one space, and each kept character's old index."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(value):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        origin.append(index)
    return "".join(chars), origin


def _phone_numbers(text: str) -> Iterator[Span]:
    for candidate in _PHONE_CANDIDATE.finditer(text):
        if _DECIMALS.match(text, candidate.end()):
            continue
        # phonenumbers gives up on line breaks and long gaps ("+ 49 (0)\n    4721/554-70")
        value, origin = _collapse_whitespace(candidate.group())
        for match in PhoneNumberMatcher(value, "DE", leniency=Leniency.VALID):
            raw = match.raw_string.lstrip("(")
            if not raw.startswith(("+", "0")) or _NOT_PHONE.fullmatch(raw):
                continue
            digits = sum(char.isdigit() for char in raw)
            if digits < _MIN_PHONE_DIGITS:
                continue
            start = candidate.start() + origin[match.start]
            end = candidate.start() + origin[match.end - 1] + 1
            ambiguous = (
                digits < _CONTEXT_FREE_DIGITS
                or _TARIFF_NUMBER.fullmatch(raw)
                or text[start - 1 : start] == ":"  # "Tel:0228 ..." but "urn:nbn:de:0221-..."
            )
            if ambiguous and not _PHONE_CONTEXT.search(text, max(0, start - 40), start):
                continue
            yield start, end


_DETECTORS: dict[str, Callable[[str], Iterator[Span]]] = {
    "email": _emails,
    "iban": _ibans,
    "tax_id": _tax_ids,
    "ip_address": _ip_addresses,
    "phone": _phone_numbers,
    "person_name": find_person_names,  # after a cue only: Frau Dr. <PERSON_NAME>
}


def _substitute(text: str, spans: Iterator[Span], placeholder: str) -> tuple[str, int]:
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += (text[last:start], placeholder)
        last = end
    if not parts:
        return text, 0
    parts.append(text[last:])
    return "".join(parts), len(parts) // 2


def find_spans(text: str, kind: str) -> Iterator[Span]:
    """Where personal data of `kind` is in `text`, in order and apart (the serve policy looks in
    a folded reading of a prompt and replaces the characters each span came from)."""
    return _DETECTORS[kind](text)


def scrub_text(text: str, types: tuple[str, ...] = PII_TYPES) -> tuple[str, Counter[str]]:
    """The text with every found item replaced, and how many of each type were replaced."""
    counts: Counter[str] = Counter()
    for kind in PII_TYPES:
        if kind in types:
            text, replaced = _substitute(text, _DETECTORS[kind](text), PLACEHOLDERS[kind])
            if replaced:
                counts[kind] += replaced
    return text, counts


@dataclass
class PIIScrubber:
    """Rewrite personal data to placeholders; never drops a document, so it excludes nothing."""

    types: tuple[str, ...] = PII_TYPES
    name: str = "pii_scrubber"
    counts: Counter[str] = field(default_factory=Counter)
    documents_changed: int = 0

    def __post_init__(self) -> None:
        self.types = tuple(self.types)
        unknown = sorted(set(self.types) - set(PII_TYPES))
        if unknown:
            raise RecipeError(
                plural(
                    len(unknown),
                    _("unknown PII type: {types}", types=", ".join(unknown)),
                    _("unknown PII types: {types}", types=", ".join(unknown)),
                ),
                hint=_("choose from {choices}", choices=", ".join(PII_TYPES)),
            )

    def run(self, docs: Iterator[Document], exclude: ExclusionSink) -> Iterator[Document]:
        for doc in docs:
            text, found = scrub_text(doc.text, self.types)
            if found:
                doc.text = text
                self.counts.update(found)
                self.documents_changed += 1
            yield doc

    def stats(self) -> dict[str, object]:
        return {"replacements": dict(self.counts), "documents_changed": self.documents_changed}
