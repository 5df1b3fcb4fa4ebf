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
„Nextcloud“) is taken for a word: a missed brand, not a false finding.
"""

from __future__ import annotations

import math

from gemeingut.apps.rag.german_terms import _lexicon, parts

_ENDINGS = ("", "e", "en", "n", "s", "es", "er", "ern")  # a noun's plural and case endings
_HEAD = 3  # letters before a known last word of a compound
_LAST = 4  # letters of that word, at least
# laws that use that word, at least: a rare one („force“) is no common word (the search's word
# list holds the log of each word's count)
_LAST_LAWS = math.log(30)


def is_german_word(word: str) -> bool:
    """Whether `word` is a German word (or made of German words), not a name."""
    pieces = [piece.lower() for piece in word.split("-") if piece]
    if len(pieces) > 1 and pieces[0] == "e":  # „E-Akte“: electronic
        pieces = pieces[1:]
    return bool(pieces) and all(_german(piece) for piece in pieces)


def _german(word: str) -> bool:
    known = _lexicon().logs  # the list the search splits compounds with, read once
    stems = [word[: len(word) - len(end)] for end in _ENDINGS if word.endswith(end)]
    if any(stem in known for stem in stems) or parts(word):
        return True
    heads = range(_HEAD, len(word) - _LAST + 1)
    return any(known.get(word[i:], -math.inf) >= _LAST_LAWS for i in heads)
