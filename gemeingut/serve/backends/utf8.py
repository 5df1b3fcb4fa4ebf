"""Sampling that keeps an answer valid UTF-8.

A byte-level model can pick a token that continues no character: a lone continuation byte, or a
character's first byte followed by a space. The text then holds U+FFFD in the middle, which no
detokenizer can take back (a weak model at temperature 1 does so often). So before a
token is drawn, the tokens that would make the bytes so far invalid UTF-8 get no chance: after a
character's first byte only tokens that go on with it, and an end of text only between
characters. The reported log-probabilities stay the model's own. Greedy decoding (temperature
0) is left alone: it stays the likeliest token, as every engine gives it, so that answers compare
across engines and a greedy token is the first of its `top_logprobs`.

The state of an answer is what its next byte must be: `BOUNDARY` between characters, else how
many continuation bytes a started character still needs and the range the next one must lie in
(UTF-8 forbids overlong forms and surrogates by narrowing the second byte's range).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

BOUNDARY = 0
# (continuation bytes still needed, lowest, highest allowed next byte); index 0: between characters
_STATES: tuple[tuple[int, int, int], ...] = (
    (0, 0x00, 0x7F),
    (1, 0x80, 0xBF),
    (2, 0x80, 0xBF),
    (3, 0x80, 0xBF),
    (2, 0xA0, 0xBF),  # after E0: no overlong three-byte form
    (2, 0x80, 0x9F),  # after ED: no surrogate
    (3, 0x90, 0xBF),  # after F0: no overlong four-byte form
    (3, 0x80, 0x8F),  # after F4: nothing above U+10FFFF
)
_INDEX = {state: i for i, state in enumerate(_STATES)}
_LEADS = [
    (0xC2, 0xDF, (1, 0x80, 0xBF)),
    (0xE0, 0xE0, (2, 0xA0, 0xBF)),
    (0xE1, 0xEC, (2, 0x80, 0xBF)),
    (0xED, 0xED, (2, 0x80, 0x9F)),
    (0xEE, 0xEF, (2, 0x80, 0xBF)),
    (0xF0, 0xF0, (3, 0x90, 0xBF)),
    (0xF1, 0xF3, (3, 0x80, 0xBF)),
    (0xF4, 0xF4, (3, 0x80, 0x8F)),
]


def after(state: int, data: bytes | None) -> int | None:
    """The state after `data` (None: a token of whole text, or a special token, which fits
    only between characters); None where `data` cannot follow `state`."""
    if data is None:
        return BOUNDARY if state == BOUNDARY else None
    for byte in data:
        needed, low, high = _STATES[state]
        if needed:
            if not low <= byte <= high:
                return None
            state = _INDEX[(needed - 1, 0x80, 0xBF)] if needed > 1 else BOUNDARY
        elif byte > 0x7F:
            lead = next((s for first, last, s in _LEADS if first <= byte <= last), None)
            if lead is None:  # a continuation byte, or one UTF-8 never uses
                return None
            state = _INDEX[lead]
    return state


def inside_character(pieces: list[bytes]) -> list[bool]:
    """Per token of a text, whether it goes on with a character that the tokens before it
    began (then it starts where that character does, not after it)."""
    inside = []
    state = BOUNDARY
    for data in pieces:
        inside.append(state != BOUNDARY and after(state, data[:1]) is not None)
        reached = after(state, data)
        if reached is None:  # the started character is broken: the token begins afresh
            reached = after(BOUNDARY, data)
        state = BOUNDARY if reached is None else reached
    return inside


class Utf8Guard:
    """Per state, which tokens may come next (a mask over the logits) and where each leads."""

    def __init__(self, vocabulary: list[bytes | None], width: int) -> None:
        """`vocabulary`: each token's bytes (`token_bytes.vocabulary_bytes`); `width`: the
        logits' size, whose ids past the vocabulary are treated as special tokens."""
        import torch

        tokens = vocabulary + [None] * (width - len(vocabulary))
        # Most tokens are whole characters: they fit between characters only and end there.
        whole = [data is None or whole_text(data) for data in tokens]
        self._next = [
            [BOUNDARY if w and state == BOUNDARY else -1 for w in whole]
            for state in range(len(_STATES))
        ]
        for token, data in enumerate(tokens):
            if not whole[token]:  # part of a character: its way through every state
                for state, following in enumerate(self._next):
                    reached = after(state, data)
                    following[token] = -1 if reached is None else reached
        # Per state the tokens that cannot follow it (the logits are picked from on the CPU).
        self._refused = [torch.tensor([s < 0 for s in following]) for following in self._next]
        # A mask only where it takes something out and leaves something in.
        self._masking = [bool(mask.any()) and not bool(mask.all()) for mask in self._refused]

    def masked(self, logits: torch.Tensor, state: int) -> torch.Tensor:
        """`logits` with the tokens that cannot follow `state` at minus infinity (unchanged
        where none could: then the model's own choice stands)."""
        if not self._masking[state]:
            return logits
        return logits.masked_fill(self._refused[state].to(logits.device), float("-inf"))

    def step(self, state: int, token: int) -> int:
        """The state after `token`; a token that could not follow (where nothing could)
        starts afresh between characters."""
        following = self._next[state][token]
        return BOUNDARY if following < 0 else following


def whole_text(data: bytes) -> bool:
    """Whole characters: valid UTF-8 on its own (then it cannot go on a started one)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
