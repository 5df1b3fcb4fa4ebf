"""Log-probabilities in OpenAI's two shapes: the legacy completions one and the chat one.

Backends hand over token ids and floats (`TokenLogprob`); the texts of tokens and where they
start in the answer come from the backend's tokenizer. The legacy shape is what
lm-evaluation-harness's `local-completions` reads: it sums `token_logprobs[ctxlen:-1]` of an
echoed prompt and checks greediness against `top_logprobs`, so the two must be exact.

A token that holds only part of a character has no text of its own (it decodes to U+FFFD, as
every such token would): it is named by its bytes as OpenAI names it (`token_bytes.token_name`),
the same in `tokens` and as a key of `top_logprobs`, and starts where its character starts
(`backends/offsets.py`). An upstream engine's chat log-probabilities get the same names where
their `bytes` say a token's bytes (`named_by_bytes`).
"""

from __future__ import annotations

from gemeingut.serve.backends import GenerationResult, Tokenizing, TokenLogprob
from gemeingut.serve.backends.token_bytes import token_name
from gemeingut.serve.backends.utf8 import whole_text
from gemeingut.serve.schemas import ChatLogprobs, CompletionLogprobs, TopLogprob
from gemeingut.serve.schemas import TokenLogprob as ChatTokenLogprob


def echoed_prompt(tokenizer: Tokenizing, result: GenerationResult) -> str:
    """The prompt as `echo` returns it: its tokens' text, special tokens included, so that
    every token's offset points into the returned text."""
    return tokenizer.detokenize(list(result.prompt_ids))


def completion_logprobs(
    tokenizer: Tokenizing, result: GenerationResult, echo: bool, token_ids: bool = False
) -> CompletionLogprobs:
    """Prompt tokens first when echoed (the first with `null`), then the generated ones."""
    ids: list[int] = []
    entries: list[TokenLogprob | None] = []
    offsets: list[int] = []
    base = 0
    if echo:
        prompt = list(result.prompt_ids)
        ids += prompt
        entries += list(result.prompt_logprobs or [None] * len(prompt))
        offsets += tokenizer.text_offsets(prompt, skip_special_tokens=False)
        base = len(echoed_prompt(tokenizer, result))
    generated = list(result.token_ids)
    ids += generated
    entries += list(result.logprobs or [None] * len(generated))
    offsets += [base + n for n in tokenizer.text_offsets(generated, skip_special_tokens=True)]
    everyone = _all_ids(ids, entries)
    texts = [f"token_id:{i}" for i in everyone] if token_ids else token_names(tokenizer, everyone)
    names = dict(zip(everyone, texts, strict=True))
    return CompletionLogprobs(
        tokens=[names[i] for i in ids],
        token_logprobs=[None if e is None else e.logprob for e in entries],
        top_logprobs=[None if e is None else _top_dict(e, names) for e in entries],
        text_offset=offsets,
    )


def chat_logprobs(tokenizer: Tokenizing, result: GenerationResult, top_k: int) -> ChatLogprobs:
    """The answer's tokens; the end-of-turn token is not part of a chat answer."""
    entries = list(result.logprobs or ())
    if result.stop_token:
        entries = entries[:-1]
    everyone = _all_ids([e.token_id for e in entries], entries)
    # A token's own bytes, not its text's: a part of a character reads as U+FFFD, and a client
    # joins the bytes of consecutive tokens to get the character (as OpenAI's `bytes` are for).
    raw = dict(zip(everyone, tokenizer.token_bytes(everyone), strict=True))
    texts = tokenizer.token_strings(everyone)
    names = {
        i: token_name(text, raw[i], prefix="") for i, text in zip(everyone, texts, strict=True)
    }

    def top(token: int, value: float) -> TopLogprob:
        return TopLogprob(token=names[token], logprob=value, bytes=list(raw[token]))

    content = [
        ChatTokenLogprob(
            **top(e.token_id, e.logprob).model_dump(),
            top_logprobs=[top(t, v) for t, v in e.top[:top_k]],
        )
        for e in entries
    ]
    return ChatLogprobs(content=content)


def named_by_bytes(logprobs: ChatLogprobs) -> ChatLogprobs:
    """An engine's chat log-probabilities, each token that holds part of a character named by
    its bytes as `chat_logprobs` names ours (`\\xe2\\x80`). Engines name such a token as its
    text decodes (U+FFFD), as their text up to the broken character (llama-server: often "")
    or as OpenAI's legacy shape does (`bytes:\\xe2\\x80`); where their `bytes` are a part of
    a character, they say which. Bytes that are whole characters are the name's own (vLLM sends
    U+FFFD's three bytes for a part): the engine's name stays, as do names without bytes."""

    def named(entry: TopLogprob) -> str:
        data = entry.bytes
        if data is None or not all(0 <= b < 256 for b in data) or whole_text(bytes(data)):
            return entry.token
        return token_name("\ufffd", bytes(data), prefix="")  # what ours read as, named

    content = [
        token.model_copy(
            update={
                "token": named(token),
                "top_logprobs": [
                    t.model_copy(update={"token": named(t)}) for t in token.top_logprobs
                ],
            }
        )
        for token in logprobs.content or ()
    ]
    return logprobs if logprobs.content is None else ChatLogprobs(content=content)


def token_names(tokenizer: Tokenizing, ids: list[int]) -> list[str]:
    """Each token as the legacy shape (and the look inside) names it: its text, or its bytes
    where it holds part of a character (only those tokens' bytes are looked up)."""
    texts = tokenizer.token_strings(ids)
    partial = [i for i, text in zip(ids, texts, strict=True) if "\ufffd" in text]
    raw = dict(zip(partial, tokenizer.token_bytes(partial), strict=True))
    return [
        token_name(text, raw[i]) if i in raw else text for i, text in zip(ids, texts, strict=True)
    ]


def _all_ids(ids: list[int], entries: list[TokenLogprob | None]) -> list[int]:
    """Every token id whose text is needed, once, in first-seen order."""
    seen = dict.fromkeys(ids)
    for entry in entries:
        if entry is not None:
            seen.update(dict.fromkeys(t for t, _ in entry.top))
    return list(seen)


def _top_dict(entry: TokenLogprob, names: dict[int, str]) -> dict[str, float]:
    """The alternatives, likeliest first, plus the chosen token (as vLLM and OpenAI add it).
    Two tokens with the same text keep the likelier one's value."""
    top: dict[str, float] = {}
    for token, value in (*entry.top, (entry.token_id, entry.logprob)):
        top.setdefault(names[token], value)
    return top
