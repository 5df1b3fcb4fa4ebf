"""German compound words as extra search terms: "Angebotsfrist" is also "Angebot" and "Frist".

German writes compounds as one word, so BM25 on whole words does not find a passage on the
"Angebotsfrist" for a question about the "Frist für Angebote", nor the "Verfahren der Vergabe"
for "Vergabeverfahren". As Lucene's and Solr's dictionary decompounders do, a word is split
into known words and the parts are searched beside the word itself (which keeps an exact match
the best one). A part has at least `MIN_PART` letters, or is one of the short nouns the list
holds ("Bau-amt", "Bundes-tag", "Straf-tat"); parts may be joined by a linking element (s, es,
n, en, e), and a part before another may lack its final e or (e)n ("Schul-", "Wohn-").
A feminine form is also its base word: "Bürgerinnen" is "Bürger", "Ärztin" "Arzt", "Beamtin"
"Beamte" (as a word and as a part: "Bürgerinnenbeteiligung"), so that a question about the
"Bürger" finds a passage that writes "Bürgerinnen" and back; a singular "-in" counts only where
the list knows its plural "-innen" or its base ends as a person's noun does (no "Term" in
"Termin"). The known words and how many laws use each come from a list shipped with the package
(`german_words.txt.gz`, made from the federal laws by `bench/german_words.py`), so a split
depends on the word alone: a passage and a question split alike, whatever else the collection
holds. Of all the ways to split a word, the one whose parts are the most frequent (geometric
mean; Koehn and Knight 2003) is taken, and only if they are more frequent than the word itself:
"Vergabeverfahren" (27 laws) is "Vergabe" (182) and "Verfahren" (1,950), but "beinhalten"
(93) is not "Bein" (11) and "halten" (434). A few endings that the list also holds as words
never end a compound ("Bürger-innen"), nor does "-ende" without a linking element (a
participle, "verlauf-ende"; but "Jahr-es-ende"). In a word of three parts or more, a short
noun stays joined to its neighbour where the two are a known word ("Hausrat-versicherungen",
not "Haus-rat-versicherungen": "Rat" alone would find every Bundesrat).

A collection records the splitting its index was made with (`scheme`: the word list's and
these rules' digest), and a question is split the same way: an index made before splitting
existed is searched without it, one made with another word list or rules is refused until it
is ingested again.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from gemeingut.errors import InputError
from gemeingut.i18n import _

WORDS = "words"  # the scheme of an index without splitting: whole words only
MIN_PART = 4
SHORT_PART = 3  # a part this short only if the list holds it (bench/german_words.py SHORT_NOUNS)
MAX_PARTS = 5
# Raise with every change to how a word is split: an index split otherwise is refused.
_RULES = "3: short nouns rejoined, feminine forms"
_LINKS = ("", "s", "es", "n", "en", "e")  # between two parts: "Angebot-s-frist"
_ELIDED = ("", "e", "en", "n")  # a part's lost ending: "Schul(e)-gelände", "Wohn(en)-geld"
_LIST = "german_words.txt.gz"
_PARTICIPLE = ("ende", "endem", "enden", "ender", "endes")  # "verlauf-ende", not "Ende"
# Endings that the list also holds as words ("vergleich-bare", "Bürger-innen", "Prüfe-rinnen",
# "gemein-samen"): never a part after the first.
_SUFFIXES = frozenset({"bare", "baren", "barer", "iger", "innen", "lein", "lich", "lichen"})
_SUFFIXES |= {"rinnen", "rung", "samen", "schaft"}
# Endings of a person's noun whose feminine singular the list need not hold as a plural
# ("Präsident-in", "Ehegatte": "Ehegatt-in"); other words in "-in" are no feminine ("Termin").
_AGENTS = ("ent", "ant", "ist", "eur", "or", "at", "te", "ge", "er")
_PLAIN = str.maketrans("äöü", "aou")  # an umlaut undone: "Ärzt-in", "Arzt"
# Words of the list that end as a feminine form of a known word does, but are none: places
# ("Schwer-in", "Oberste-in"). Of the list's words in "-in" that the rules take for feminine
# without a plural "-innen" in the list (54 of them), these are all that are not.
_NOT_FEMININE = frozenset({"schwerin", "oberstein"})


def scheme(language: str) -> str:
    """How a new index of `language` splits words, as the collection records it."""
    return f"de-compounds-{_lexicon().digest}" if language == "de" else WORDS


def splits(recorded: str) -> bool:
    """Whether an index made with `recorded` splits compounds; refused if this gemeingut
    cannot split as it did (another word list)."""
    if recorded == WORDS:
        return False
    if recorded == scheme("de"):
        return True
    raise InputError(
        _(
            "the collection's index was made with another word list ({recorded}) than this "
            "gemeingut's ({current})",
            recorded=recorded,
            current=scheme("de"),
        ),
        _("ingest its documents again to rebuild the index: gemeingut rag ingest NAME PATHS"),
    )


@lru_cache(maxsize=1 << 16)
def parts(word: str) -> tuple[str, ...]:
    """The known words a lower-case `word` is made of (as the list spells them), or none.

    Each place in the word is tried as the start of a part, so a word of n letters costs
    about n look-ups per part found; a place where no known word begins ends the try.
    """
    if not word.isalpha():
        return ()
    known = _lexicon()
    base = _base_of_feminine(word, known)
    if base is not None:  # "bürgerinnen": "bürger", and the parts of a compound base
        return tuple(dict.fromkeys((base, *parts(base))))
    if len(word) < 2 * SHORT_PART:
        return ()
    best: dict[int, dict[int, tuple[float, tuple[str, ...]]]] = {}

    def rest(start: int) -> dict[int, tuple[float, tuple[str, ...]]]:
        """The best way to write word[start:] as n known words, for each n up to MAX_PARTS:
        (sum of the log counts, the words)."""
        if start in best:
            return best[start]
        ways: dict[int, tuple[float, tuple[str, ...]]] = {}
        tail = word[start:]
        if start > 0 and tail in known.logs and tail not in _SUFFIXES:
            ways[1] = (known.logs[tail], (tail,))
        for end in range(start + SHORT_PART, len(word) - SHORT_PART + 1):
            piece = word[start:end]
            if piece not in known.prefixes:
                break  # no known word begins so: a longer piece is not one either
            form = known.forms.get(piece)
            if form is None or (start > 0 and piece in _SUFFIXES):
                continue
            for link in _LINKS if form == piece else ("",):  # "Schul(e)-" takes no link
                after = end + len(link)
                if not word.startswith(link, end) or len(word) - after < SHORT_PART:
                    continue
                if not link and word[after:] in _PARTICIPLE:
                    continue  # "verlauf-ende" is no "Ende"; "Jahr-es-ende", "Woche-n-ende" are
                for n, (score, words) in rest(after).items():
                    way = (score + known.logs[form], (form, *words))
                    if n < MAX_PARTS and (n + 1 not in ways or way > ways[n + 1]):
                        ways[n + 1] = way  # of two as good, the same one every time
        best[start] = ways
        return ways

    ways = rest(0)
    if not ways:
        return ()
    mean, _fewer, chosen = max((score / n, -n, words) for n, (score, words) in ways.items())
    if mean <= known.logs.get(word, -math.inf):
        return ()
    return tuple(_base_of_feminine(part, known) or part for part in _rejoined(chosen, word, known))


def _rejoined(chosen: tuple[str, ...], word: str, known: _Lexicon) -> tuple[str, ...]:
    """`chosen` with a short part joined again to its neighbour where the two, as the word
    writes them, are a known word: "Hausrat-versicherungen", "Aufsichtsrat-s-mitglieder", not
    "Haus", "Rat" (the frequent short noun alone would find every "Rat"). A word of two parts
    keeps them ("Bau-amt")."""
    parts = list(chosen)
    at = 0
    while at < len(parts) - 1 and len(parts) > 2:
        left, right = parts[at], parts[at + 1]
        joined = None
        if min(len(left), len(right)) < MIN_PART:
            joined = next(
                (j for link in _LINKS if (j := left + link + right) in known.logs and j in word),
                None,
            )
        if joined is None:
            at += 1
        else:
            parts[at : at + 2] = [joined]
    return tuple(parts)


def _base_of_feminine(word: str, known: _Lexicon) -> str | None:
    """The known word a feminine form is made from ("bürgerinnen", "bürgerin": "bürger";
    "ärztin": "arzt"; "beamtin": "beamte"), or None. A singular in "-in" only where the list
    knows its plural or the base ends as a person's noun does: "termin" is no "term"."""
    if word in _NOT_FEMININE:
        return None
    if word.endswith("innen"):
        stem = word[:-5]
    elif word.endswith("in"):
        stem = word[:-2]
    else:
        return None
    last = _last_umlaut_undone(stem)  # "ärzt": "arzt"
    for base in dict.fromkeys((stem, last, f"{stem}e", f"{last}e")):
        if len(base) >= MIN_PART and base in known.logs:
            plural = word.endswith("innen") or word + "nen" in known.logs
            return base if plural or base.endswith(_AGENTS) else None
    return None


def _last_umlaut_undone(stem: str) -> str:
    """The stem with its last umlaut undone ("anwält": "anwalt", "bäuer": "bauer")."""
    at = max(stem.rfind(u) for u in "äöü")
    return stem if at < 0 else stem[:at] + stem[at].translate(_PLAIN) + stem[at + 1 :]


@dataclass(frozen=True)
class _Lexicon:
    logs: dict[str, float]  # a known word: the log of the number of laws that use it
    forms: dict[str, str]  # the beginning of a word that may be a part: the known word it is
    prefixes: frozenset[str]  # every beginning of a known word, at least SHORT_PART letters
    digest: str  # of the list, 12 hex


@cache
def _lexicon() -> _Lexicon:
    """The word list, read once per process (about 0.3 s)."""
    from bm25s.stopwords import STOPWORDS_GERMAN  # BM25 drops them: no "unter" in "Unterlagen"

    data = resources.files("gemeingut.apps.rag").joinpath(_LIST).read_bytes()
    logs: dict[str, float] = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        word, count = line.split("\t")
        logs[word] = math.log(int(count))
    stop = set(STOPWORDS_GERMAN)
    forms: dict[str, str] = {}
    for ending in _ELIDED:  # the word itself first, then one that lost its ending
        for word in logs:
            piece = word[: len(word) - len(ending)]
            short = len(piece) < MIN_PART and (ending or len(piece) < SHORT_PART)
            if word.endswith(ending) and not short and piece not in stop:
                forms.setdefault(piece, word)
    prefixes = frozenset(w[:i] for w in logs for i in range(SHORT_PART, len(w) + 1))
    digest = hashlib.sha256(data + _RULES.encode()).hexdigest()[:12]
    return _Lexicon(logs, forms, prefixes, digest)
