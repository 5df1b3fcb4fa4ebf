"""Fine-tuning data: plain text, prompt/completion pairs and chat conversations, read from a
curated dataset artifact, text files or JSONL, and tokenized with the base model's tokenizer.

Every token carries a flag: trained or not. Plain text is trained throughout; for
prompt/completion and chat only the answers are (the assistant turns, with the template's end of
turn, so the model learns to stop): the prompt is context, not something to imitate.

A conversation is rendered with the base model's chat template; the answers' character spans
are found by rendering it turn by turn (the prefix up to each answer with the generation prompt,
then through the answer), and each span is tokenized on its own. So a prompt is tokenized here
exactly as it is at inference, where it ends with the generation prompt.

Data of any size: the files are streamed, never held. A first pass reads and checks every
example (a broken line stops the run before any tokenizing) and counts them, which is all the
validation split needs (a flag per example); `finetune_windows.py` then tokenizes a batch at a
time and packs the windows into files that training memory-maps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import torch
from jinja2 import TemplateError
from transformers import PreTrainedTokenizerBase

from gemeingut.data.compressed import JSONL_SUFFIXES, STREAM_ERRORS, open_compressed
from gemeingut.data.shards import SHARD_DIR, iter_texts
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, quoted
from gemeingut.json_records import json_line_problem, read_utf8, why_unreadable

Kind = Literal["text", "instruction", "chat"]
T = TypeVar("T")
TEXT_SUFFIXES = (".txt", ".md")
ROLES = {"system", "user", "assistant", "tool"}
FORMATS_HINT = _(
    "each line needs one of: {formats}",
    formats='{"text": ...}, {"prompt": ..., "completion": ...}, '
    '{"instruction": ..., "input": ..., "output": ...}, {"messages": [{"role": ..., '
    '"content": ...}, ...]}',
)


@dataclass(frozen=True)
class Example:
    """One training example as read, before tokenization; `where` names its file and line."""

    kind: Kind
    where: str
    text: str = ""
    prompt: str = ""
    completion: str = ""
    messages: tuple[dict[str, str], ...] = ()

    def size(self) -> int:
        """Characters, to bound a batch's memory."""
        chats = sum(len(m["content"]) for m in self.messages)
        return len(self.text) + len(self.prompt) + len(self.completion) + chats


# ---- reading ----------------------------------------------------------------------------


def split_examples(
    data: Path, validation: Path | None, fraction: float, seed: int
) -> tuple[Iterator[Example], Iterator[Example]]:
    """(train, validation) examples, each read when iterated: `validation`'s when given, else a
    seeded `fraction` of `data`'s. Both are read through once here, every example parsed and
    checked, and validation examples that are also training examples are said
    (`finetune_overlap.py`)."""
    from gemeingut.model.finetune_overlap import also_trained, digests, warn_overlap

    trained = digests(iter_examples(data, "train"))
    if validation is not None:
        given = digests(iter_examples(validation, "validation"))
        warn_overlap(also_trained(given, trained), len(given), validation)
        return iter_examples(data, "train"), iter_examples(validation, "validation")
    held = held_out(len(trained), fraction, seed)
    if not held.any():  # no third pass over the data for nothing
        return iter_examples(data, "train"), iter(())
    warn_overlap(also_trained(trained[held], trained[~held]), int(held.sum()), None)
    return iter_examples(data, "train", ~held), iter_examples(data, "train", held)


def held_out(count: int, fraction: float, seed: int) -> np.ndarray:
    """Which of `count` examples (by position) are held out for validation: a seeded random
    `fraction`, none when fewer than two examples, at least one otherwise. Drawn from the count
    alone, so it needs a flag per example but never the examples."""
    held = np.zeros(count, dtype=bool)
    if fraction <= 0 or count < 2:
        return held
    size = min(count - 1, max(1, round(count * fraction)))
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held[order[:size].numpy()] = True
    return held


def iter_examples(
    path: Path, split: str = "train", select: np.ndarray | None = None
) -> Iterator[Example]:
    """The examples at `path`, read one at a time: a dataset artifact (its `split`), a text
    file, a folder of text files, or a JSONL file (also .gz/.zst). With `select` (a flag per
    example, by position) only the selected ones are parsed and yielded."""
    if not path.exists():
        raise InputError(
            _("fine-tuning data {path} does not exist", path=path), _("check the path")
        )
    if path.is_dir() and (path / SHARD_DIR).is_dir():
        documents = _selected(iter_texts(path, split), select)
        return (
            Example("text", f"{path.name}/{split} document {i + 1}", text=t) for i, t in documents
        )
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES)
        if not files:
            raise InputError(
                _("{path} holds no .txt or .md files and is not a dataset artifact", path=path),
                _("pass a curated dataset, a JSONL file or a folder of text files"),
            )
        return (
            _text_file(f, f.relative_to(path).as_posix()) for _index, f in _selected(files, select)
        )
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return _jsonl_examples(path, select)
    if path.suffix.lower() in TEXT_SUFFIXES:
        return (_text_file(path, path.name) for _chosen in _selected([path], select))
    raise InputError(
        _("{path}: unknown fine-tuning data format", path=path),
        _("use .jsonl (also .gz/.zst), .txt/.md files or folders, or a curated dataset artifact"),
    )


def _selected(items: Iterable[T], select: np.ndarray | None) -> Iterator[tuple[int, T]]:
    return ((i, item) for i, item in enumerate(items) if select is None or select[i])


def _text_file(path: Path, where: str) -> Example:
    return Example("text", where, text=read_utf8(path))


def _jsonl_examples(path: Path, select: np.ndarray | None) -> Iterator[Example]:
    """Non-blank lines are examples; an unselected one is skipped unparsed."""
    number, index = 0, -1
    try:
        with open_compressed(path) as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    index += 1
                    if select is None or select[index]:
                        yield _json_example(raw, path, number)
    except STREAM_ERRORS as exc:
        raise InputError(
            _(
                "{path} cannot be read after line {line}: {error}",
                path=path,
                line=str(number),
                error=str(exc),
            ),
            _("check that the file is complete and compressed as its name says"),
        ) from None


def _json_example(raw: bytes, path: Path, number: int) -> Example:
    """Line `number` of `path` as an example; broken JSON is said with the file's line and the
    column in it, in the reader's words (the parser's are English and count the line's own
    end as a second line)."""
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(json_line_problem(path.name, number, exc), _("fix that line")) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            _(
                "{path}, line {number}: {problem}",
                path=path.name,
                number=str(number),
                problem=why_unreadable(exc),
            ),
            _("convert it to UTF-8"),
        ) from None
    return parse_record(record, f"{path.name}:{number}")


def parse_record(record: Any, where: str) -> Example:
    """One JSONL record as an example; its format is recognised by its keys."""
    if not isinstance(record, dict):
        raise InputError(_("{where}: expected a JSON object", where=where), FORMATS_HINT)
    if "messages" in record:
        return Example("chat", where, messages=_messages(record["messages"], where))
    if "prompt" in record and "completion" in record:
        prompt, completion = _strings(record, ("prompt", "completion"), where)
        return Example("instruction", where, prompt=prompt, completion=completion)
    if "instruction" in record and "output" in record:
        instruction, output = _strings(record, ("instruction", "output"), where)
        extra = record.get("input") or ""
        if not isinstance(extra, str):
            raise InputError(
                _("{where}: field {field!r} must be a string", where=where, field="input"),
                FORMATS_HINT,
            )
        prompt = f"{instruction}\n\n{extra}" if extra else instruction
        return Example("instruction", where, prompt=prompt, completion=output)
    if "text" in record:
        (text,) = _strings(record, ("text",), where)
        return Example("text", where, text=text)
    raise InputError(_unknown_record(record, where), FORMATS_HINT)


# The record shapes of two fields each, by their fields: one without the other is half a record.
PAIRS = (
    ("prompt", "completion", '{"prompt": ..., "completion": ...}'),
    ("instruction", "output", '{"instruction": ..., "input": ..., "output": ...}'),
)


def _unknown_record(record: dict[str, Any], where: str) -> Message:
    """What a record of no known shape lacks: the other half of a pair it begins, else which
    fields it has (in words: the hint lists every shape)."""
    for first, second, shape in PAIRS:
        if (first in record) != (second in record):
            present, absent = (first, second) if first in record else (second, first)
            return _(
                "{where}: the field {missing!r} is missing beside {present!r}: a record of the "
                "shape {shape} needs both",
                where=where,
                missing=absent,
                present=present,
                shape=shape,
            )
    if not record:
        return _("{where}: an empty JSON object, no example", where=where)
    return _(
        "{where}: a record of no known shape, with the fields {fields}",
        where=where,
        fields=quoted(sorted(record)),
    )


def _strings(record: dict[str, Any], keys: tuple[str, ...], where: str) -> tuple[str, ...]:
    values = tuple(record[k] for k in keys)
    for key, value in zip(keys, values, strict=True):
        if not isinstance(value, str):
            raise InputError(
                _("{where}: field {field!r} must be a string", where=where, field=key),
                FORMATS_HINT,
            )
    return values


def _messages(value: Any, where: str) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise InputError(
            _("{where}: {field!r} must be a non-empty list", where=where, field="messages"),
            FORMATS_HINT,
        )
    messages = []
    for i, message in enumerate(value):
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(role, str) or role not in ROLES or not isinstance(content, str):
            raise InputError(
                _(
                    "{where}: messages[{index}] needs a role ({roles}) and a string content",
                    where=where,
                    index=str(i),
                    roles=", ".join(sorted(ROLES)),
                ),
                FORMATS_HINT,
            )
        messages.append({"role": role, "content": content})
    if not any(m["role"] == "assistant" for m in messages):
        raise InputError(
            _(
                "{where}: the conversation has no assistant message, so nothing to learn",
                where=where,
            ),
            _("add the assistant's answer, or leave the line out"),
        )
    return tuple(messages)


# ---- tokenizing ---------------------------------------------------------------


def segments(example: Example, tokenizer: PreTrainedTokenizerBase) -> list[tuple[str, bool]]:
    """The example's text cut into (piece, trained) in order."""
    if example.kind == "text":
        return [(example.text, True)]
    if example.kind == "instruction" and not tokenizer.chat_template:
        return [(example.prompt, False), (example.completion, True)]
    messages = example.messages or (
        {"role": "user", "content": example.prompt},
        {"role": "assistant", "content": example.completion},
    )
    return _chat_segments(list(messages), tokenizer, example.where)


def _chat_segments(
    messages: list[dict[str, str]], tokenizer: PreTrainedTokenizerBase, where: str
) -> list[tuple[str, bool]]:
    if not tokenizer.chat_template:
        raise InputError(
            _(
                "{where}: a chat example, but the base model's tokenizer has no chat template",
                where=where,
            ),
            _(
                "use prompt/completion or text records, or add a chat_template to the base "
                "model's tokenizer_config.json"
            ),
        )

    def render(part: list[dict[str, str]], prompt: bool = False) -> str:
        try:
            return tokenizer.apply_chat_template(part, tokenize=False, add_generation_prompt=prompt)
        except (TemplateError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise InputError(
                _(
                    "{where}: the base model's chat template refused this conversation: {error}",
                    where=where,
                    error=str(exc),
                ),
                _("check the order of roles (many templates want user/assistant alternating)"),
            ) from None

    full = render(messages)
    pieces: list[tuple[str, bool]] = []
    position = 0
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before, through = render(messages[:i], prompt=True), render(messages[: i + 1])
        if not (full.startswith(through) and through.startswith(before)) or len(before) < position:
            raise InputError(
                _(
                    "{where}: the base model's chat template does not render the conversation "
                    "turn by turn, so its answers cannot be told apart from the prompts",
                    where=where,
                ),
                _("use prompt/completion records, or a chat template without that rewriting"),
            )
        pieces += [(full[position : len(before)], False), (full[len(before) : len(through)], True)]
        position = len(through)
    pieces.append((full[position:], False))
    return [(text, trained) for text, trained in pieces if text]


def encode(
    examples: Sequence[Example], tokenizer: PreTrainedTokenizerBase, adds_bos: bool | None = None
) -> list[tuple[list[int], list[bool]]]:
    """Token ids and trained flags of each example, all pieces in one tokenizer call. What goes
    through the chat template (chats, and prompt/completion when there is one) is framed by the
    template alone; plain text and untemplated pairs start with BOS where the tokenizer adds one
    by itself (`adds_bos`, found out once per tokenizer when not given) and end with EOS
    (trained)."""
    if adds_bos is None:
        adds_bos = starts_with_bos(tokenizer)
    bos, eos, template = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.chat_template
    pieces = [segments(example, tokenizer) for example in examples]
    texts = [text for parts in pieces for text, _trained in parts]
    encoded = iter(tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else [])
    out = []
    for example, parts in zip(examples, pieces, strict=True):
        framed = example.kind == "text" or (example.kind == "instruction" and not template)
        ids: list[int] = [bos] if framed and adds_bos else []
        trained: list[bool] = [False] * len(ids)
        for _text, flag in parts:
            piece = next(encoded)
            ids += piece
            trained += [flag] * len(piece)
        if framed and eos is not None:
            ids.append(eos)
            trained.append(True)
        out.append((ids, trained))
    return out


def starts_with_bos(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the tokenizer puts BOS before a text by itself."""
    bos = tokenizer.bos_token_id
    return bos is not None and tokenizer("a")["input_ids"][:1] == [bos]
