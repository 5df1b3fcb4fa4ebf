"""Whether a capitalised word after „mit dem Framework“, „vom Typ“, … is a name („Salesforce“)
or a German word („System“, „Kehrmaschine“, „Kompaktlader“): a rule's `forbidden_names`
flags only a name, so that no list of brands has to know every product.

A word is German where the word list the search splits compounds with holds it
(`german_words.txt.gz`: the words of the federal laws), with or without an ending („Geräten“),
where it is a compound of the list's words („Fach-anwendung“), or where it ends in one of at
least four letters after a head of at least three, a word that at least 30 laws use („Web-
anwendung“, „Doppel-wand“; not the „force“ of „Salesforce“, which 9 use): a German noun is
often a compound of which the list knows only the last word. Each part of a hyphenated word
must be German („Salesforce-Plattform“ is a name) but the „E-“ of „E-Akte“, „E-Rechnung“
(electronic), which no word list holds. A name made of German words („Dataport“,
„Wienerberger“) is taken for a word: a missed brand, not a false finding; but where a cue says
that the word made the ware (a rule's `forbidden_makers`: „Kaffeemaschinen von Jura“), it is
a maker unless it is a common word or a plural (`is_makers_name`).

A compound whose last word the laws never use („Apfel-schorle“, „Laub-bläser“) is German
where its first part is a word of the list (at least four letters, with its linking element:
„Apfels-“) and what follows the longest such part, at least six letters, is spelt as German
words are: each three letters of it, with its start and its end, stand so in at least 30 of
the list's words. A brand seldom is: its first part is no German word („Sales-force“), its
last part too short („Forti-net“) or not spelt so („Bildung-slogin“, „Bette-rmarks“); a
German compound mostly is („Apfels-chorle“, „Glas-reiniger“).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import cache

from gemeingut.apps.rag.german_terms import _lexicon, parts

_ENDINGS = ("", "e", "en", "n", "s", "es", "er", "ern")  # a noun's plural and case endings
_HEAD = 3  # letters before a known last word of a compound
_LAST = 4  # letters of that word, at least
# laws that use a word, at least, for a common word: a rare one („force“, „Jura“) is none (the
# search's word list holds the log of each word's count)
_COMMON = math.log(30)
_FIRST = 4  # letters of a known first part before an unknown last word, at least
_REST = 6  # letters of that last word, at least
_SPELT = 30  # the list's words each three letters of it stand so in, at least


def is_german_word(word: str) -> bool:
    """Whether `word` is a German word (or made of German words), not a name."""
    pieces = [piece.lower() for piece in word.split("-") if piece]
    if len(pieces) > 1 and pieces[0] == "e":  # „E-Akte“: electronic
        pieces = pieces[1:]
    return bool(pieces) and all(_german(piece) for piece in pieces)


def is_makers_name(word: str) -> bool:
    """Whether `word`, which a cue says made the ware („Kaffeemaschinen von Jura“), names one
    maker: a maker's name, even one made of German words („Jura“, „Wienerberger“), is neither
    a common word, which names the ware's material or place („Tische von Holz“, „von
    Hamburg“), nor a German word ending as a plural after „von“ does, in -n or -s, which names
    many („von Fachfirmen“, „von Herstellern“)."""
    lower = word.lower()
    if _lexicon().logs.get(lower, -math.inf) >= _COMMON:
        return False
    return not (lower.endswith(("n", "s")) and is_german_word(word))


def _german(word: str) -> bool:
    known = _lexicon().logs  # the list the search splits compounds with, read once
    if any(stem in known for stem in _stems(word)) or parts(word):
        return True
    heads = range(_HEAD, len(word) - _LAST + 1)
    if any(known.get(word[i:], -math.inf) >= _COMMON for i in heads):
        return True
    return _spelt_german(word, known)


def _spelt_german(word: str, known: dict[str, float]) -> bool:
    """Whether `word` is a known first part and a last word spelt as German words are."""
    longest = range(len(word) - _REST, _FIRST - 1, -1)
    first = next((i for i in longest if _known_part(word[:i], known)), None)
    if first is None:
        return False
    rest, spelt = f"^{word[first:]}$", _spelling()
    return all(spelt[rest[i : i + 3]] >= _SPELT for i in range(len(rest) - 2))


def _known_part(part: str, known: dict[str, float]) -> bool:
    """Whether `part` is a word of the list, or one with a linking element („Apfel-s“)."""
    return any(len(stem) >= _FIRST and stem in known for stem in _stems(part))


def _stems(word: str) -> list[str]:
    """`word` without each of the endings it may have (itself among them)."""
    return [word[: len(word) - len(end)] for end in _ENDINGS if word.endswith(end)]


@cache
def _spelling() -> Counter[str]:
    """In how many of the list's words each three letters stand, "^" and "$" marking a
    word's start and end: how German words are spelt."""
    counts: Counter[str] = Counter()
    for word in _lexicon().logs:
        marked = f"^{word}$"
        counts.update({marked[i : i + 3] for i in range(len(marked) - 2)})
    return counts
