"""Whether a text about a model's training data (a card's data section, a data statement) is
data information in the OSAID's sense: enough to know what the data was. Its length says
nothing: sixty words of praise for "carefully curated, high-quality data" name no data. It
counts where it names evidence, the sources (links, Hub ids, DOIs, corpora by name) and at least
one more of their licences, sizes, time range and processing, and does not refuse to say what
the data is ("we do not name the sources", "proprietary", "keine Angaben"). Without a named
source it never counts, however much else it says: "federal laws (public domain), 2 billion
tokens, deduplicated" does not let anyone find the data again, which is what the OSAID asks
for. A source named twice (a card header's `datasets:` id and its Hub link in the section) is
one source. What was found and what is missing is said, so that a reader knows what to ask the
publisher for. German and English texts alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gemeingut.i18n import Message, _, listed

_SHOWN = 4  # examples of a kind quoted

# A text that refuses to say what the data is, or says it is kept back (the OSAID asks for
# information sufficient to rebuild a like dataset).
REFUSAL = re.compile(
    r"\b(not (be )?(made )?(publicly |openly )?"
    r"(available|accessible|disclosed|released|shared|published|named|listed)|"
    r"(will not|can ?not|do not|does not|can't|won't|don't|doesn't) "
    r"(disclose|release|share|publish|name|list|reveal|detail)|"
    r"undisclosed|withheld|proprietary|confidential|competitive reasons|"
    r"(remain|remains|kept|keep|stay|stays) (internal|private)|internal (use )?only|"
    r"for internal use|"
    r"nicht (öffentlich|offengelegt|veröffentlicht|bekannt ?gegeben|zugänglich|geteilt|"
    r"verfügbar|zur Verfügung gestellt|genannt|aufgeführt)|"
    r"(nennen|veröffentlichen|machen|legen|geben) wir\b[^.;\n]{0,60}?\bnicht\b|"
    r"\bwir (nennen|veröffentlichen|legen|geben)\b[^.;\n]{0,60}?\bnicht\b|"
    r"keine (näheren |weiteren )?Angaben|"
    r"nicht offen ?gelegt|vertraulich|geheim|proprietär\w*|nur intern|"
    r"intern(e|en|er|em)? (Daten|Quellen|Korpora|Gebrauch|Nutzung|Zwecke)|"
    r"intern (verwendet|genutzt|gehalten)|(bleiben|bleibt|verbleiben|verbleibt) intern)",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>()\[\]\"'„“]+[^\s<>()\[\]\"'„“.,;:!?]")
# A Hub id in running text ("allenai/c4", "HuggingFaceFW/fineweb-2", `wikimedia/wikipedia`):
# an owner without dots (a dot makes it a domain) and a name, both with letters, and a mark a
# pair of words joined by a slash lacks ("and/or", "2020/2021", "Gesetze/Verordnungen"): code
# quotes, or a digit, hyphen, underscore, dot or inner capital (EleutherAI) in one of them.
_HUB_ID = re.compile(
    r"`([A-Za-z0-9][\w-]{1,40}/[A-Za-z0-9][\w.-]{1,80})`|"
    r"(?<![\w/.@-])((?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{1,40}/(?=[\w.-]*[A-Za-z])"
    r"[A-Za-z0-9][\w.-]{1,80})(?![\w/])"
)
_HUB_MARK = re.compile(r"[\d_.-]|[a-z][A-Z]")
_NO_OWNER = frozenset({"and", "or", "und", "oder", "either", "he", "she", "his", "er", "yes", "ja"})
# A domain written without its scheme ("from www.example.org", "govdata.de/dl-de"), no e-mail.
_DOMAIN = re.compile(
    r"(?<![\w@./-])(?:www\.[\w-]+(?:\.[\w-]+)+|(?:[\w-]+\.)+(?:org|com|net|de|eu|at|ch|"
    r"io|ai|gov|edu|int|info|uk|fr|nl|dev))(?:/[^\s<>()\[\]\"'„“]*[^\s<>()\[\]\"'„“.,;:!?])?"
    r"(?![\w@-])",
    re.IGNORECASE,
)
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"'<>]+[^\s\"'<>.,;:)]")
# A Hub dataset's page, or a DOI's resolver, names the same source as its id or DOI does.
_SAME_SOURCE = re.compile(
    r"^https?://(?:www\.)?(?:(?:huggingface\.co|hf\.co)/datasets/([^/?#]+/[^/?#]+)|"
    r"(?:dx\.)?doi\.org/(10\..+?))/?(?:[?#].*)?$",
    re.IGNORECASE,
)
# Corpora by name, in any case ("common crawl", "wikipedia"); those whose name is also a word
# ("the Pile", "the Stack", OSCAR, C4) only as they spell it.
_CORPUS = re.compile(
    r"\b(Wikipedia|Wikimedia|Wikisource|Wikibooks|Common ?Crawl|(?-i:C4|mC4|OSCAR)|"
    r"the (?-i:Pile)|the (?-i:Stack)\S*|"
    r"RedPajama\S*|Dolma|FineWeb\S*|RefinedWeb|SlimPajama|StarCoderData|"
    r"Project Gutenberg|Gutenberg|OpenWebText\S*|BookCorpus|CulturaX|HPLT|MADLAD\S*|"
    r"OpenSubtitles|Europarl|EUR-Lex|ParaCrawl|arXiv|PubMed\S*|GitHub|Stack Exchange|"
    r"StackExchange|Reddit|Bundestag\S*|Bundesanzeiger|DeutscheWebText|GovData|"
    r"Deutsche Nationalbibliothek|Open Legal Data|OpenLegalData)\b",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    r"\b(CC[- ]?BY(?:[- ](?:SA|NC|ND))*(?:[- ]\d\.\d)?|CC0(?:[- ]1\.0)?|ODC[- ]?By(?:[- ]1\.0)?|"
    r"ODbL(?:[- ]1\.0)?|PDDL(?:[- ]1\.0)?|Apache[- ]2\.0|(?-i:MIT)|BSD[- ]\d[- ]Clause|"
    r"[AL]?GPL[- ]?\d(?:\.\d)?\S*|MPL[- ]2\.0|DL-DE[-/](?:BY|ZERO)[-/]2\.0|"
    r"public domain|gemeinfrei|Public-Domain|licen[cs]ed? under [A-Z][\w.-]+|"
    r"Lizenz [A-Z][\w.-]+)",
    re.IGNORECASE,
)
_AMOUNT = (
    r"\d[\d.,\s]*\s*(?:[kKMBGT]\b|thousand|million|billion|trillion|Tsd\.?|Mio\.?|Mrd\.?|"
    r"Millionen|Milliarden|Billionen)?\s*"
)
_SIZE = re.compile(
    rf"\b{_AMOUNT}(?:tokens?|words?|documents?|docs|pages?|articles?|books?|sentences?|"
    r"examples?|samples?|rows?|records?|files?|characters?|lines?|hours?|"
    r"Tokens?|Wörter|Wörtern|Dokumente|Dokumenten|Seiten|Artikel|Artikeln|Bücher|Büchern|"
    r"Sätze|Sätzen|Beispiele|Beispielen|Zeilen|Dateien|Zeichen|Stunden|"
    r"[KMGTP]i?B|bytes?)\b",
    re.IGNORECASE,
)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|"
    r"Oct|Okt|Nov|Dec|Dez"
)
_TIME = re.compile(
    rf"\b((?:\d{{1,2}}\.\s*)?(?:{_MONTHS})\.?\s+(?:19|20)\d\d|(?:19|20)\d\d-\d\d(?:-\d\d)?|"
    r"\d{1,2}\.\d{1,2}\.(?:19|20)\d\d|(?:19|20)\d\d\s*(?:-|–|bis|to|until)\s*(?:19|20)\d\d|"
    r"(?:cut-?off|Stand|Stichtag|as of|up to|until|bis|since|seit|from|von|dump of|Dump vom)"
    r"\s+(?:\d{1,2}\.\s*)?(?:(?:" + _MONTHS + r")\.?\s+)?(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_PROCESSING = re.compile(
    r"\b(dedup\w*|de-dup\w*|near-duplicate\w*|filter\w*|gefiltert|Filter\w*|tokeni[sz]\w*|"
    r"normali[sz]\w*|cleaned|cleaning|bereinigt|Bereinigung|dedupliziert|Deduplizierung|"
    r"anonymi[sz]\w*|pseudonymi[sz]\w*|PII|personenbezogene\w* Daten entfernt|"
    r"language identification|Spracherkennung|langid|fastText|quality classifier|"
    r"Qualitätsfilter\w*|Qualitätsklassifikator\w*|removed|entfernt|sampled|gesampelt|"
    r"upsampl\w*|mixture weights?|Mischungsverhältnis\w*|Gewichtung)\b",
    re.IGNORECASE,
)

SOURCES, LICENCES, SIZES, TIME, PROCESSING = "sources", "licences", "sizes", "time", "processing"
KINDS: dict[str, Message] = {
    SOURCES: _("sources"),
    LICENCES: _("licences"),
    SIZES: _("sizes"),
    TIME: _("time range"),
    PROCESSING: _("processing"),
}


@dataclass(frozen=True)
class DataInformation:
    """What a text says about the data: per kind (`KINDS`) the words found, and the words
    that refuse to say it (None: none)."""

    found: dict[str, tuple[str, ...]]
    refusal: str | None

    @property
    def counts(self) -> bool:
        """No refusal, and named sources with at least one more kind of evidence."""
        kinds = [k for k, v in self.found.items() if v]
        return self.refusal is None and bool(self.found[SOURCES]) and len(kinds) >= 2


def assess(text: str, named: list[str] | None = None) -> DataInformation:
    """What `text` says about the data; `named`: dataset ids named elsewhere in the same
    document (a card header's `datasets:`), which are named sources too."""
    text = " ".join(text.split())  # a sentence broken over lines is one sentence
    sources = [
        *(named or []),
        *_URL.findall(text),
        *_DOI.findall(text),
        *_named_sources(_URL.sub(" ", text)),
    ]
    found = {
        SOURCES: _unique(sources, _source_key),
        LICENCES: _unique(m.group(0).strip() for m in _LICENCE.finditer(text)),
        SIZES: _unique(" ".join(m.group(0).split()) for m in _SIZE.finditer(text)),
        TIME: _unique(" ".join(m.group(0).split()) for m in _TIME.finditer(text)),
        PROCESSING: _unique(m.group(0) for m in _PROCESSING.finditer(text)),
    }
    refused = REFUSAL.search(text)
    return DataInformation(found, refused.group(0) if refused else None)


def said(info: DataInformation, where: Message | str) -> Message:
    """What `where` (a file, a card's section) says about the data, and what it lacks."""
    found = [
        _("{kind} ({examples})", kind=KINDS[k], examples=", ".join(v[:_SHOWN]))
        for k, v in info.found.items()
        if v
    ]
    lacking = [KINDS[k] for k, v in info.found.items() if not v]
    names = listed(found) if found else _("nothing about the data")
    missed = listed(lacking) if lacking else None
    if info.counts:
        if missed is None:
            return _("{where} names {found}", where=where, found=names)
        return _(
            "{where} names {found}; not said: {missing}", where=where, found=names, missing=missed
        )
    if info.refusal is not None:
        return _(
            "{where} says the data is withheld ({words!r}), so it is no data information; "
            "found: {found}",
            where=where,
            words=info.refusal,
            found=names,
        )
    if not info.found[SOURCES]:
        return _(
            "{where} is no data information: it names no source (no dataset id, link, DOI or "
            "corpus by name), and without one the data cannot be found again; found: {found}; "
            "not said: {missing}",
            where=where,
            found=names,
            missing=missed or "-",
        )
    return _(
        "{where} is no data information: it names {found}, but not {missing} (data information "
        "names the sources and their licences, sizes, time range or processing)",
        where=where,
        found=names,
        missing=missed or "-",
    )


def _unique(values: Iterable[str], key: Callable[[str], str] = str.lower) -> tuple[str, ...]:
    """The values in order, each once: the first of those with the same `key` (case aside)."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(key(value), value)
    return tuple(seen.values())


def _named_sources(text: str) -> list[str]:
    """The Hub ids (`_HUB_ID`), domains and corpora `text` (its links left out) names; a
    corpus only where it is no part of an id or a domain ("wikimedia/wikipedia" is one)."""
    found = []
    for quoted, bare in _HUB_ID.findall(text):
        owner = (quoted or bare).split("/")[0]
        if quoted or (_HUB_MARK.search(bare) and owner.lower() not in _NO_OWNER):
            found.append(quoted or bare)
    rest = _HUB_ID.sub(" ", text)
    found += _DOMAIN.findall(rest)
    return [*found, *(m.group(0) for m in _CORPUS.finditer(_DOMAIN.sub(" ", rest)))]


def _source_key(source: str) -> str:
    """What a source is, however it is written: a Hub dataset by its id (its page's link, the
    header's id), a DOI by itself (its resolver's link), case and a closing slash aside."""
    same = _SAME_SOURCE.match(source)
    named = next((g for g in same.groups() if g), source) if same else source
    return named.rstrip("/").lower()
