"""Fine-tuning data: plain text, prompt/completion pairs and chat conversations, read from a
curated dataset artifact, text files or JSONL, and tokenized with the base model's tokenizer.

Every token carries a flag: trained or not. Plain text is trained throughout; for
prompt/completion and chat only the answers are (the assistant turns, with the template's end of
turn, so the model learns to stop): the prompt is context, not something to imitate.

A conversation is rendered with the base model's chat template; the answers' character spans
are found by rendering it turn by turn (the prefix up to each answer with the generation prompt,
then through the answer), and each span is tokenized on its own. So a prompt is tokenized here
exactly as it is at inference, where it ends with the generation prompt.

Examples are packed whole into windows of seq_len + 1 tokens (padding the rest, untrained), so an
answer always sees its own prompt; an example longer than a window is cut (counted). Plain text
longer than a window is split into consecutive windows like in pretraining.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from jinja2 import TemplateError
from transformers import PreTrainedTokenizerBase

from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.shards import iter_texts
from gemeingut.errors import InputError
from gemeingut.model.data_order import Windows

Kind = Literal["text", "instruction", "chat"]
TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz", ".ndjson")
ROLES = {"system", "user", "assistant", "tool"}
FORMATS_HINT = (
    'each line needs one of: {"text": ...}, {"prompt": ..., "completion": ...}, '
    '{"instruction": ..., "input": ..., "output": ...} or {"messages": [{"role": ..., '
    '"content": ...}, ...]}'
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


@dataclass(frozen=True)
class SftWindows:
    """`tokens[i]` (seq_len + 1 ids) and `trained[i]`: whether each token is a training target."""

    tokens: torch.Tensor
    trained: torch.Tensor
    stats: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tokens)

    def targets(self, rows: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, targets) of some windows; untrained targets are -100 (ignored)."""
        tokens = self.tokens[rows].long()
        targets = tokens[:, 1:].masked_fill(~self.trained[rows][:, 1:], -100)
        return tokens[:, :-1], targets


@dataclass(frozen=True)
class StreamWindows:
    """A curated dataset as fine-tuning data: its documents memory-mapped and windowed as in
    pretraining (`token_file.py`), every token trained, so a large corpus is never held in
    memory (continued pretraining on one's own domain)."""

    windows: Windows

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def stats(self) -> dict[str, int]:
        documents = len(self.windows.file.doc_starts)
        return {
            "examples": documents,
            "text_examples": documents,
            "instruction_examples": 0,
            "chat_examples": 0,
            "truncated": 0,
            "without_targets": 0,
            "windows": len(self),
            "trained_tokens": len(self) * self.windows.seq_len,
        }

    def targets(self, rows: torch.Tensor | list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.windows.rows(rows)
        return tokens[:, :-1], tokens[:, 1:]


TrainingWindows = SftWindows | StreamWindows


# ---- reading ----------------------------------------------------------------------------


def read_examples(path: Path, split: str = "train") -> list[Example]:
    """The examples at `path`: a dataset artifact (its `split`), a text file, a folder of text
    files, or a JSONL file (also .gz/.zst)."""
    if not path.exists():
        raise InputError(f"fine-tuning data {path} does not exist", "check the path")
    if path.is_dir() and (path / "shards").is_dir():
        return [
            Example("text", f"{path.name}/{split} document {i + 1}", text=text)
            for i, text in enumerate(iter_texts(path, split))
        ]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES)
        if not files:
            raise InputError(
                f"{path} holds no .txt or .md files and is not a dataset artifact",
                "pass a curated dataset, a JSONL file or a folder of text files",
            )
        return [_text_file(f, f.relative_to(path).as_posix()) for f in files]
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return list(_jsonl_examples(path))
    if path.suffix.lower() in TEXT_SUFFIXES:
        return [_text_file(path, path.name)]
    raise InputError(
        f"{path}: unknown fine-tuning data format",
        "use .jsonl (also .gz/.zst), .txt/.md files or folders, or a curated dataset artifact",
    )


def _text_file(path: Path, where: str) -> Example:
    try:
        return Example("text", where, text=path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})", "convert it to UTF-8") from None


def _jsonl_examples(path: Path) -> Iterator[Example]:
    number = 0
    try:
        with open_compressed(path) as handle:
            for number, raw in enumerate(handle, 1):
                if raw.strip():
                    yield _json_example(raw, f"{path.name}:{number}")
    except STREAM_ERRORS as exc:
        raise InputError(
            f"{path} cannot be read after line {number}: {exc}",
            "check that the file is complete and compressed as its name says",
        ) from None


def _json_example(raw: bytes, where: str) -> Example:
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a JSON object ({exc})", "fix that line") from None
    return parse_record(record, where)


def parse_record(record: Any, where: str) -> Example:
    """One JSONL record as an example; its format is recognised by its keys."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object", FORMATS_HINT)
    if "messages" in record:
        return Example("chat", where, messages=_messages(record["messages"], where))
    if "prompt" in record and "completion" in record:
        prompt, completion = _strings(record, ("prompt", "completion"), where)
        return Example("instruction", where, prompt=prompt, completion=completion)
    if "instruction" in record and "output" in record:
        instruction, output = _strings(record, ("instruction", "output"), where)
        extra = record.get("input") or ""
        if not isinstance(extra, str):
            raise InputError(f"{where}: field 'input' must be a string", FORMATS_HINT)
        prompt = f"{instruction}\n\n{extra}" if extra else instruction
        return Example("instruction", where, prompt=prompt, completion=output)
    if "text" in record:
        (text,) = _strings(record, ("text",), where)
        return Example("text", where, text=text)
    raise InputError(f"{where}: unknown record with keys {sorted(record)}", FORMATS_HINT)


def _strings(record: dict[str, Any], keys: tuple[str, ...], where: str) -> tuple[str, ...]:
    values = tuple(record[k] for k in keys)
    for key, value in zip(keys, values, strict=True):
        if not isinstance(value, str):
            raise InputError(f"{where}: field {key!r} must be a string", FORMATS_HINT)
    return values


def _messages(value: Any, where: str) -> tuple[dict[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{where}: 'messages' must be a non-empty list", FORMATS_HINT)
    messages = []
    for i, message in enumerate(value):
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role not in ROLES or not isinstance(content, str):
            raise InputError(
                f"{where}: messages[{i}] needs a role ({', '.join(sorted(ROLES))}) and a "
                "string content",
                FORMATS_HINT,
            )
        messages.append({"role": role, "content": content})
    if not any(m["role"] == "assistant" for m in messages):
        raise InputError(
            f"{where}: the conversation has no assistant message, so nothing to learn",
            "add the assistant's answer, or leave the line out",
        )
    return tuple(messages)


# ---- tokenizing and packing ---------------------------------------------------------------


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
            f"{where}: a chat example, but the base model's tokenizer has no chat template",
            "use prompt/completion or text records, or add a chat_template to the base "
            "model's tokenizer_config.json",
        )

    def render(part: list[dict[str, str]], prompt: bool = False) -> str:
        try:
            return tokenizer.apply_chat_template(part, tokenize=False, add_generation_prompt=prompt)
        except (TemplateError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: the base model's chat template refused this conversation: {exc}",
                "check the order of roles (many templates want user/assistant alternating)",
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
                f"{where}: the base model's chat template does not render the conversation "
                "turn by turn, so its answers cannot be told apart from the prompts",
                "use prompt/completion records, or a chat template without that rewriting",
            )
        pieces += [(full[position : len(before)], False), (full[len(before) : len(through)], True)]
        position = len(through)
    pieces.append((full[position:], False))
    return [(text, trained) for text, trained in pieces if text]


def encode(
    example: Example, tokenizer: PreTrainedTokenizerBase, adds_bos: bool | None = None
) -> tuple[list[int], list[bool]]:
    """Token ids and trained flags. What goes through the chat template (chats, and
    prompt/completion when there is one) is framed by the template alone; plain text and
    untemplated pairs start with BOS where the tokenizer adds one by itself (`adds_bos`, found
    out once per tokenizer when not given) and end with EOS (trained)."""
    templated = example.kind == "chat" or (
        example.kind == "instruction" and bool(tokenizer.chat_template)
    )
    if adds_bos is None:
        adds_bos = _adds_bos(tokenizer)
    ids: list[int] = []
    trained: list[bool] = []
    if not templated and adds_bos:
        ids.append(tokenizer.bos_token_id)
        trained.append(False)
    for text, flag in segments(example, tokenizer):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        trained += [flag] * len(piece)
    if not templated and tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
        trained.append(True)
    return ids, trained


def _adds_bos(tokenizer: PreTrainedTokenizerBase) -> bool:
    bos = tokenizer.bos_token_id
    return bos is not None and tokenizer("a")["input_ids"][:1] == [bos]


def pack(examples: list[Example], tokenizer: PreTrainedTokenizerBase, seq_len: int) -> SftWindows:
    """Whole examples, in order, into windows of seq_len + 1 tokens."""
    width = seq_len + 1
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise InputError(
            "the base model's tokenizer has neither a pad nor an EOS token",
            "add one of them to its tokenizer_config.json",
        )
    stats = {"examples": len(examples), "truncated": 0, "without_targets": 0, "trained_tokens": 0}
    for kind in ("text", "instruction", "chat"):
        stats[f"{kind}_examples"] = sum(e.kind == kind for e in examples)
    adds_bos = _adds_bos(tokenizer)
    rows: list[tuple[list[int], list[bool]]] = []
    current: tuple[list[int], list[bool]] = ([], [])
    for example in examples:
        for ids, flags in _items(example, tokenizer, width, stats, adds_bos):
            if not any(flags[1:]):
                stats["without_targets"] += 1
                continue
            if len(current[0]) + len(ids) > width:
                rows.append(current)
                current = ([], [])
            current[0].extend(ids)
            current[1].extend([False, *flags[1:]])  # nothing predicts an item's first token
    if current[0]:
        rows.append(current)
    tokens = torch.full((len(rows), width), pad, dtype=torch.int32)
    trained = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, (ids, flags) in enumerate(rows):
        tokens[i, : len(ids)] = torch.tensor(ids, dtype=torch.int32)
        trained[i, : len(flags)] = torch.tensor(flags)
    stats["windows"] = len(rows)
    stats["trained_tokens"] = int(trained[:, 1:].sum())
    return SftWindows(tokens, trained, stats)


def _items(
    example: Example,
    tokenizer: PreTrainedTokenizerBase,
    width: int,
    stats: dict[str, int],
    adds_bos: bool,
) -> Iterator[tuple[list[int], list[bool]]]:
    ids, flags = encode(example, tokenizer, adds_bos)
    if len(ids) <= width:
        yield ids, flags
    elif example.kind == "text":  # consecutive windows sharing one token, as in pretraining
        for start in range(0, len(ids) - 1, width - 1):
            yield ids[start : start + width], flags[start : start + width]
    else:
        stats["truncated"] += 1
        yield ids[:width], flags[:width]


def split_validation(
    examples: list[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """(train, validation): a seeded random `fraction` of the examples held out (none when
    fewer than two examples, at least one otherwise), each keeping its order."""
    if fraction <= 0 or len(examples) < 2:
        return examples, []
    count = min(len(examples) - 1, max(1, round(len(examples) * fraction)))
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed))
    held = set(order[:count].tolist())
    train = [e for i, e in enumerate(examples) if i not in held]
    return train, [e for i, e in enumerate(examples) if i in held]
