"""The tender check ("Ausschreibung"): a tender draft checked against rules kept as data.

Rules (YAML, `rules/vergabe.yaml` ships the common checks; `assist tender --rules` and
`serve --tender-rules` add or replace them by id; `rulefile.py` reads them) name their legal
source (another for a kind of draft that says what `source_if` finds: building works are the
VOB/A's), a severity and one test: text that must not occur (`forbidden`, or a name after a
cue that is no German word, `forbidden_names`, or a maker, `forbidden_makers`, `names.py`;
unless an `unless` pattern is in the same sentence, or an `unless_after` one in a later sentence
of its paragraph or list item that refers back to it, `equivalents.py`), text that must occur
(`required`, one pattern of each group; a sentence that denies it, matching `unless`, does not
count, and one that must stand `near` an anchor counts only there) or a number that must reach a
minimum (`at_least`, in digits or German words, weeks counted as days; or, with `dates`, the
days between the notice's date and the deadline's, `dates.py`). A rule may apply only to some
drafts (`only_if`, `skip_if`: a procedure below the EU thresholds has no VgV deadline) and leave
text unread (`ignore`: a street named after a maker is no product). Each finding names the rule,
its §, and the sentence of the tender as written (`sentences.py`) with its page or section, so
the person who wrote the draft can find and fix it; where required text is missing, the sentence
the rule's `cite` finds (award criteria named without their weights), or a title that says the
draft names none (`absent`). A date in a finding is as the draft writes it in German, and in the
reader's language otherwise (`dates.WrittenDate.shown`). The check reads the draft with the
collections' readers (PDF, DOCX, ODT, HTML, Markdown, text; text piped in as a text file) and
needs no model.
"""

from __future__ import annotations

import bisect
import functools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gemeingut.apps.assistants.citations import cited_source
from gemeingut.apps.assistants.dates import WrittenDate, german_dates, with_dates
from gemeingut.apps.assistants.equivalents import in_items, refers_back
from gemeingut.apps.assistants.names import is_german_word, is_makers_name
from gemeingut.apps.assistants.rulefile import Rule, Severity, SourceIf, load_rules
from gemeingut.apps.rag.readers import Passage, read_document
from gemeingut.apps.rag.sentences import MAX_SENTENCE_CHARS, Sentence
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, text

__all__ = ["Finding", "Rule", "check_passages", "check_piped", "check_tender", "load_rules"]
# Days per unit of an at_least match's (?P<unit>…), by the unit's first letters; any other unit
# (Tag, Kalendertag, Werktag, Arbeitstag) is one day. We chose to count a Werktag or Arbeitstag
# as one calendar day: N of them span at least N calendar days, so a deadline that passes is
# long enough for sure, and one just long enough may be flagged (stating Kalendertage avoids
# that). A month counts as 28 days, its shortest length, for the same reason.
_DAYS_PER_UNIT = {"woche": 7, "monat": 28}
_QUOTED_OF_LONG = 80  # characters of a too long sentence its finding quotes (its start, verbatim)


@dataclass(frozen=True)
class Finding:
    rule: str
    source: str  # the rule's legal source, cited in the finding's language (`citations.py`)
    severity: Severity
    title: str
    advice: str
    passage: str | None  # the tender's sentence, None where something is missing
    page: int | str | None  # as printed: a number, or a label ("iv")
    section: str | None
    line: int | None = None  # the file's line the sentence starts on (a text file)


def check_tender(path: Path, rules: list[Rule], language: str = "de") -> list[Finding]:
    """The findings of a draft file, errors first."""
    passages = read_document(path)
    if not passages:
        raise InputError(
            _("{path}: no text found", path=str(path)),
            _("the file holds no text to check (a scanned page is read too, if it shows text)"),
        )
    return check_passages(passages, rules, language)


def check_piped(data: bytes, rules: list[Rule], language: str = "de") -> list[Finding]:
    """The findings of a draft piped in (`assist tender -`, as Unix tools read `-`): read as a
    text file is, its lines numbered for the findings and its encoding found, in a temporary
    folder that is gone afterwards; a text file's line breaks end no paragraph (`in_items`)."""
    with tempfile.TemporaryDirectory() as folder:
        piped = Path(folder) / "stdin.txt"
        piped.write_bytes(data)
        try:
            passages = read_document(piped)
        except InputError as exc:  # it names the temporary file, which the person never saw
            raise InputError(
                _("standard input: no text in UTF-8, UTF-16 or Windows-1252"),
                _("pipe in the draft's text; for a PDF, DOCX or ODT draft give its path, not -"),
            ) from exc
    if not passages:
        raise InputError(
            _("standard input: no text found"),
            _("pipe the draft's text in, e.g. cat entwurf.txt | gemeingut assist tender -"),
        )
    return check_passages(passages, rules, language)


def check_passages(
    passages: list[Passage], rules: list[Rule], language: str, typed: bool = False
) -> list[Finding]:
    """The findings of a draft already read (a file's passages, or text sent to the server);
    `typed`: text as a person typed or pasted it (a text file's passages, which know their
    lines, are), whose line breaks end no paragraph (`equivalents.py`)."""
    cut, items = in_items(passages, typed)
    findings = _too_long(cut, language)
    for rule in rules:
        if _applies(rule, cut):
            findings += _check(rule, cut, items, language)
    order = {"error": 0, "warning": 1, "hint": 2}
    return sorted(findings, key=lambda f: order[f.severity])


def _applies(rule: Rule, cut: list[Sentence]) -> bool:
    """Whether the draft is one the rule is for: `only_if` and each group of `only_if_all`
    said somewhere, `skip_if` nowhere."""
    wanted = [rule.only_if] if rule.only_if else []
    return all(_said(group, cut) for group in [*wanted, *rule.only_if_all]) and not (
        rule.skip_if and _said(rule.skip_if, cut)
    )


def _says(source: SourceIf, cut: list[Sentence]) -> bool:
    """Whether the draft is one of `source`'s kind: one of its `when` and one of each group
    of its `when_all` said somewhere (works in one sentence, below the thresholds in another)."""
    wanted = [source.when] if source.when else []
    return all(_said(group, cut) for group in [*wanted, *source.when_all])


def _said(patterns: list[str], cut: list[Sentence]) -> bool:
    """Whether a sentence of the draft (with its heading) matches one of `patterns`."""
    return any(_any(patterns, _context(sentence)) for sentence in cut)


def _check(rule: Rule, cut: list[Sentence], items: list[int], language: str) -> list[Finding]:
    # the law for this kind of draft: a deadline for building works is in the VOB/A
    other = next((s for s in rule.source_if if _says(s, cut)), None)
    source = other.source if other else rule.source
    advice = other.advice if other and other.advice else rule.advice

    def finding(sentence: Sentence | None = None, title: Message | str | None = None) -> Finding:
        return Finding(
            rule.id,
            cited_source(source, language),
            rule.severity,
            text(title, language) if title else getattr(rule.title, language, rule.title.de),
            getattr(advice, language, advice.de),
            sentence.quote if sentence else None,
            sentence.passage.page if sentence else None,
            sentence.passage.section if sentence else None,
            sentence.line if sentence else None,
        )

    if rule.forbidden or rule.forbidden_names or rule.forbidden_makers:
        named = [i for i, s in enumerate(cut) if _forbids(rule, s.text)]
        allowing = _allowing(rule, cut, named)
        return [
            finding(cut[i])
            for i in named
            if not _any(rule.unless, cut[i].text) and not _allowed_after(cut, items, i, allowing)
        ]
    if rule.required:
        for group in rule.required:
            mentions = [
                sentence
                for sentence in cut
                if _any(group, _read(rule, _context(sentence)))
                and (not rule.near or _any(rule.near, _context(sentence)))
            ]
            if not any(not _any(rule.unless, _context(s)) for s in mentions):
                # only denied ("wird nicht gefordert"): the denial is the passage to look at
                return [
                    finding(mentions[0]) if mentions else finding(*_missing(rule, cut, language))
                ]
        return []
    assert rule.at_least is not None
    findings = []
    for sentence in cut:
        for match in _compiled(rule.at_least.pattern).finditer(_read(rule, sentence.text)):
            if match["n"] is None:
                continue
            number = read_number(match["n"])
            if number is None:
                findings.append(_unreadable(rule.id, source, match["n"], sentence, language))
            elif number * _days(match.groupdict().get("unit")) < rule.at_least.minimum:
                findings.append(finding(sentence))
    for start, end, sentence in _periods(rule, cut):
        days = (end.day - start.day).days
        if days < rule.at_least.minimum:
            findings.append(finding(sentence, _period_title(rule, start, end, days, language)))
    return findings


def _forbids(rule: Rule, said: str) -> bool:
    """Whether `said` holds what the rule forbids: a `forbidden` text, a name where a
    `forbidden_names` pattern's group (?P<name>…) is no German word („Framework Salesforce“),
    or a maker where a `forbidden_makers` pattern's cue names one, German words too
    („Kaffeemaschinen von Jura“)."""
    said = _read(rule, said)
    named = (
        (rule.forbidden_names, "name", lambda name: not is_german_word(name)),
        (rule.forbidden_makers, "maker", is_makers_name),
    )
    return _any(rule.forbidden, said) or any(
        flagged(match[group])
        for patterns, group, flagged in named
        for pattern in patterns
        for match in _compiled(pattern).finditer(said)
        if match[group]
    )


def _allowing(rule: Rule, cut: list[Sentence], named: list[int]) -> list[int]:
    """The sentences that may allow what an earlier one names: they match `unless_after` and
    name nothing forbidden of their own (their „oder gleichwertig“ is for that). Found once,
    not again for each sentence that names something: a text piped in without blank lines is
    one paragraph, and a thousand names in it would read it a thousand times."""
    if not named or not rule.unless_after:
        return []
    naming = set(named)
    return [i for i, s in enumerate(cut) if i not in naming and _any(rule.unless_after, s.text)]


def _allowed_after(cut: list[Sentence], items: list[int], named: int, allowing: list[int]) -> bool:
    """Whether one of the `allowing` sentences after sentence `named`, in the same paragraph or
    list item, refers back to it and so allows what it names."""
    end = bisect.bisect_right(items, items[named])  # items ascend
    later = allowing[bisect.bisect_right(allowing, named) : bisect.bisect_left(allowing, end)]
    return any(refers_back(cut[named].text, cut[i].text) for i in later)


def _periods(rule: Rule, cut: list[Sentence]) -> list[tuple[WrittenDate, WrittenDate, Sentence]]:
    """(start, end, the end's sentence) of a deadline given as dates. A date in a sentence that
    matches `dates.start` or `dates.end` is a start or an end by the nearer of their patterns
    before it ("Die Frist beginnt am 5. Januar und endet am 12. Januar": one of each), by the
    sentence where none stands before it; a sentence's first end is checked against the first
    start on or before it: the earliest is the notice, and a deadline counted from a later day
    (the documents sent) would be found too short where it is not."""
    assert rule.at_least is not None
    dates = rule.at_least.dates
    if dates is None:
        return []
    starts: list[WrittenDate] = []
    ends: list[tuple[WrittenDate, Sentence]] = []
    for sentence in cut:
        said = _read(rule, sentence.text)
        is_start, is_end = _any(dates.start, said), _any(dates.end, said)
        if not (is_start or is_end):
            continue
        after, first_end = 0, None
        for date in german_dates(said):
            start = _last_match(dates.start, said[after : date.at])
            end = _last_match(dates.end, said[after : date.at])
            if start > end or (start == end and not is_end):
                starts.append(date)
            elif first_end is None:
                first_end = date
            after = date.at + len(date.written)
        if first_end is not None:
            ends.append((first_end, sentence))
    periods = []
    for end, sentence in ends:
        before = [start for start in starts if start.day <= end.day]
        if before:
            periods.append((min(before, key=lambda d: d.day), end, sentence))
    return periods


def _missing(rule: Rule, cut: list[Sentence], language: str) -> tuple[Sentence | None, str | None]:
    """What the finding for required text that no sentence says shows: the first sentence
    that the first of the rule's `cite` patterns to find one finds (the criteria named, then
    listed without their weights; a heading only where no sentence is), or, where none is, the
    title that says the draft names none (`absent`); the rule's title where it has none."""
    prose_first = sorted(cut, key=lambda sentence: sentence.heading)
    cited = next(
        (s for pattern in rule.cite for s in prose_first if _compiled(pattern).search(_context(s))),
        None,
    )
    if cited is not None or rule.absent is None:
        return cited, None
    return None, getattr(rule.absent, language, rule.absent.de)


def _last_match(patterns: list[str], said: str) -> int:
    """Where the last match of one of `patterns` in `said` ends, -1 where none is."""
    return max((m.end() for p in patterns for m in _compiled(p).finditer(said)), default=-1)


def _period_title(
    rule: Rule, start: WrittenDate, end: WrittenDate, days: int, language: str
) -> Message:
    """The rule's title with the days counted, so that the reader sees what was compared."""
    title = getattr(rule.title, language, rule.title.de)
    return plural(
        days,
        _(
            "{title}: 1 day from {start} to {end}",
            title=title,
            start=start.shown(language),
            end=end.shown(language),
        ),
        _(
            "{title}: {days} days from {start} to {end}",
            title=title,
            days=days,
            start=start.shown(language),
            end=end.shown(language),
        ),
    )


def _too_long(cut: list[Sentence], language: str) -> list[Finding]:
    """One warning for the sentences that were checked in pieces (`sentences.py`): a text
    that spans a cut is not found, so a person has to look at them."""
    first_pieces = [sentence for sentence in cut if sentence.part == 1]
    if not first_pieces:
        return []
    count, first = len(first_pieces), first_pieces[0]
    title = plural(
        count,
        _("1 sentence is longer than {limit} characters", limit=MAX_SENTENCE_CHARS),
        _(
            "{count} sentences are longer than {limit} characters",
            count=count,
            limit=MAX_SENTENCE_CHARS,
        ),
    )
    advice = _(
        "Such a sentence is checked in pieces, and a rule may miss a text across two of them: "
        "end its sentences with full stops (a table: one row per line), or check that part by "
        "hand."
    )
    return [
        Finding(
            "satzlaenge",
            text(_("tender check"), language),
            "warning",
            text(title, language),
            text(advice, language),
            first.quote[:_QUOTED_OF_LONG],
            first.passage.page,
            first.passage.section,
            first.line,
        )
    ]


def _context(sentence: Sentence) -> str:
    """A sentence with its section's heading: "## Zuschlagskriterien" above "Preis 60 %" is
    what makes the number a weighting. A heading is cut like a sentence (a document can make
    anything its heading)."""
    section = (sentence.passage.section or "")[:MAX_SENTENCE_CHARS]
    return f"{section}\n{sentence.text}" if section else sentence.text


def _any(patterns: list[str], text: str) -> bool:
    return any(_compiled(p).search(text) for p in patterns)


def _read(rule: Rule, said: str) -> str:
    """`said` with what the rule's `ignore` patterns match made spaces."""
    for pattern in rule.ignore:  # as long as it was: a date's place in it stays the same
        said = _compiled(pattern).sub(lambda match: " " * len(match.group()), said)
    return said


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    """A rule's pattern, compiled once: a draft of many short sentences runs every pattern
    on each, and `re`'s own cache costs more than the search. `{DATUM}` in it is a date
    (`dates.with_dates`)."""
    return re.compile(with_dates(pattern), re.IGNORECASE)


def _days(unit: str | None) -> int:
    unit = (unit or "").lower()
    return next((days for name, days in _DAYS_PER_UNIT.items() if unit.startswith(name)), 1)


def _unreadable(rule: str, source: str, value: str, sentence: Sentence, language: str) -> Finding:
    """A warning instead of a check: the rule's pattern caught a word that is no number (a
    user's rule, or "einigen Tagen"), and a person has to look at the sentence."""
    return Finding(
        rule,
        cited_source(source, language),
        "warning",
        text(
            _("“{value}” is not a number: rule {rule} cannot check it", value=value, rule=rule),
            language,
        ),
        text(_("write the number in digits (e.g. 30) or as a German number word"), language),
        sentence.quote,
        sentence.passage.page,
        sentence.passage.section,
        sentence.line,
    )


# German number words, umlauts and ß written as ae, oe, ue and ss (as in "fuenf", "dreissig").
_ONES = {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "fuenf": 5, "sechs": 6, "sieben": 7,
         "acht": 8, "neun": 9}  # fmt: skip
_ALONE = {"null": 0, "eins": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "zehn": 10,
          "elf": 11, "zwoelf": 12, "dreizehn": 13, "vierzehn": 14, "fuenfzehn": 15,
          "sechzehn": 16, "siebzehn": 17, "achtzehn": 18, "neunzehn": 19}  # fmt: skip
_TENS = {"zwanzig": 20, "dreissig": 30, "vierzig": 40, "fuenfzig": 50, "sechzig": 60,
         "siebzig": 70, "achtzig": 80, "neunzig": 90}  # fmt: skip


MAX_DIGITS = 9  # Python refuses to read ints of over 4,300 digits; no rule needs more than 9


def read_number(value: str) -> int | None:
    """A number in digits or written as a German word up to 999 ("drei", "einundzwanzig",
    "hundertzwanzig"), None for anything else: drafts write short deadlines as words."""
    value = value.strip()
    if value.isascii() and value.isdigit():  # a deadline of more digits is no deadline
        return int(value) if len(value) <= MAX_DIGITS else None
    word = value.lower()
    for letter, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        word = word.replace(letter, spelled)
    hundreds, hundert, rest = word.partition("hundert")
    if not hundert:
        return _below_hundred(word)
    count = 1 if hundreds in ("", "ein") else _ONES.get(hundreds)
    rest = rest.removeprefix("und")
    below = _below_hundred(rest) if rest else 0
    if count is None or below is None:
        return None
    return count * 100 + below


def _below_hundred(word: str) -> int | None:
    """1 to 99 as one German word: "zwei", "zwoelf", "dreissig", "einundzwanzig"."""
    found = {**_ONES, **_ALONE, **_TENS}.get(word)
    if found is not None:
        return found
    ones, und, tens = word.partition("und")
    if und and ones in _ONES and tens in _TENS:
        return _ONES[ones] + _TENS[tens]
    return None
