"""Where each token starts in the decoded text of all of them, in time linear in their number.

Where the tokens' own texts add up to the decoded text, a token starts after the texts of those
before it. Elsewhere decoding is not that sum: Metaspace drops the first token's space,
`clean_up_tokenization_spaces` joins " ," to ",", byte-fallback tokens are decoded as a group,
and a token holding part of a character decodes to U+FFFD. There a token starts at the length of
the decoded text of the tokens before it. Decoding every prefix costs time quadratic in the
length (0.7 s for 1,200 tokens, on the hot path of every scored request), so each prefix is
decoded only from a recent anchor on, and the text's length grows from the anchor on as it does
from the start. An anchor starts a character and follows a plain token of context, decoded with
it (a decoder's rules for a first token fall on that one), which holds a character that the
clean-up of spaces never joins (a letter such as "a", a digit, anything not ASCII): what it
joins after that character is the same in the window as in the whole text.

A token that goes on with a character that the tokens before it began starts where that
character does: the prefix before it ends in U+FFFD for the character's first bytes (one, or
one per byte with byte fallback), whose length would point past the character.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from gemeingut.serve.backends.utf8 import inside_character

CONTEXT = 1  # plain tokens decoded before an anchor
SPAN = 8  # tokens at least between anchors: a prefix is decoded from at most ~this far back
# The characters of what `clean_up_tokenization_spaces` replaces (" ,", " n't", " 're", …)
JOINED = frozenset(b" .?!,'nmtsvre")

Decode = Callable[[list[tuple[int, int]]], list[str]]


def text_offsets(decode: Decode, pieces: list[bytes], plain: list[bool]) -> list[int]:
    """Per token, where it starts in the text of all of them.

    `decode` gives the texts of spans (start, end) of the tokens; `pieces`: the tokens' bytes;
    `plain[i]`: token i is neither a special token nor a byte-fallback one (`<0xC3>`, decoded
    in a group with its neighbours), so that decoding may start at it.
    """
    count = len(pieces)
    if not count:
        return []
    *texts, whole = decode([(n, n + 1) for n in range(count)] + [(0, count)])
    if "\ufffd" not in whole and "".join(texts) == whole:
        return list(itertools.accumulate(map(len, texts[:-1]), initial=0))
    return _prefix_lengths(decode, pieces, plain)


def _prefix_lengths(decode: Decode, pieces: list[bytes], plain: list[bool]) -> list[int]:
    """The length of each token's decoded prefix, decoded from the last anchor before it."""
    count = len(pieces)
    inside = inside_character(pieces)
    anchors = [0]
    for at in range(CONTEXT, count):
        context = range(at - CONTEXT, at)
        settled = all(plain[at - CONTEXT : at + 1])
        apart = any(byte not in JOINED for n in context for byte in pieces[n])
        if at - anchors[-1] >= SPAN and settled and apart and not inside[at]:
            anchors.append(at)
    groups = [
        (max(anchor - CONTEXT, 0), anchor, anchors[n + 1] if n + 1 < len(anchors) else count - 1)
        for n, anchor in enumerate(anchors)
    ]
    spans = [
        (start, end)
        for start, anchor, last in groups
        for end in range(anchor, last + 1)
        if end == anchor or not inside[end]
    ]
    lengths = dict(zip(spans, map(len, decode(spans)), strict=True))
    offsets = [0] * count
    for start, anchor, last in groups:
        for end in range(anchor + 1, last + 1):
            if inside[end]:
                offsets[end] = offsets[end - 1]
            else:
                offsets[end] = offsets[anchor] + lengths[start, end] - lengths[start, anchor]
    return offsets
