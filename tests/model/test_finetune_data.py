"""Fine-tuning data: formats, answer-only training flags, packing and bad input."""

import gzip
import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoTokenizer, LlamaForCausalLM

from gemeingut.errors import InputError
from gemeingut.model.finetune_data import (
    Example,
    encode,
    held_out,
    iter_examples,
    parse_record,
    segments,
    split_examples,
)
from gemeingut.model.finetune_windows import make_windows, open_windows, pack
from gemeingut.model.loss import AnswerLoss
from gemeingut.model.tokenizer import IM_END
from gemeingut.recipe import FinetuneSection, FinetuneTraining
from tests.model.tiny_models import make_model

CHAT = {
    "messages": [
        {"role": "system", "content": "Du antwortest kurz."},
        {"role": "user", "content": "Wem gehört das Gemeingut?"},
        {"role": "assistant", "content": "Allen gemeinsam."},
        {"role": "user", "content": "Und die Daten?"},
        {"role": "assistant", "content": "Die offenen Daten auch."},
    ]
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):
    return AutoTokenizer.from_pretrained(model_dir)


def encode_one(example: Example, tokenizer) -> tuple[list[int], list[bool]]:
    return encode([example], tokenizer)[0]


def trained_text(example: Example, tokenizer) -> tuple[str, str]:
    ids, flags = encode_one(example, tokenizer)
    trained = [i for i, f in zip(ids, flags, strict=True) if f]
    untrained = [i for i, f in zip(ids, flags, strict=True) if not f]
    return tokenizer.decode(trained), tokenizer.decode(untrained)


def test_chat_trains_only_the_assistant_turns_with_their_end_of_turn(tokenizer) -> None:
    trained, untrained = trained_text(parse_record(CHAT, "x:1"), tokenizer)
    assert trained == f"Allen gemeinsam.{IM_END}\nDie offenen Daten auch.{IM_END}\n"
    for prompt in ("Du antwortest kurz.", "Wem gehört das Gemeingut?", "Und die Daten?"):
        assert prompt in untrained and prompt not in trained
    # The prompt is tokenized as at inference: up to and including the generation prompt.
    ids, _ = encode_one(parse_record(CHAT, "x:1"), tokenizer)
    prompt = tokenizer.apply_chat_template(
        CHAT["messages"][:2], tokenize=False, add_generation_prompt=True
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    assert ids[: len(prompt_ids)] == prompt_ids


def test_prompt_completion_and_alpaca_train_the_answer_and_eos(tokenizer) -> None:
    pair = parse_record({"prompt": "Hauptstadt?", "completion": "Berlin."}, "x:1")
    trained, untrained = trained_text(pair, tokenizer)
    assert trained == f"Berlin.{IM_END}\n" and "Hauptstadt?" in untrained
    as_chat = {"messages": [{"role": "user", "content": "Hauptstadt?"}]}
    as_chat["messages"].append({"role": "assistant", "content": "Berlin."})
    assert (
        encode([pair, parse_record(as_chat, "x:1")], tokenizer) == [encode_one(pair, tokenizer)] * 2
    )
    alpaca = parse_record({"instruction": "Übersetze", "input": "Haus", "output": "house"}, "x:2")
    assert alpaca.kind == "instruction" and alpaca.prompt == "Übersetze\n\nHaus"
    trained, _ = trained_text(alpaca, tokenizer)
    assert trained.startswith("house")


def test_plain_text_is_trained_throughout(tokenizer) -> None:
    ids, flags = encode_one(Example("text", "x", text="Offene Daten für alle."), tokenizer)
    assert all(flags) and ids[-1] == tokenizer.eos_token_id


def test_without_a_chat_template_prompt_completion_is_concatenated(tokenizer) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = None
    trained, untrained = trained_text(
        parse_record({"prompt": "A: ", "completion": "B"}, "x"), tokenizer
    )
    assert trained == f"B{tokenizer.eos_token}" and untrained == "A: "
    with pytest.raises(InputError, match="hat keine Chat-Vorlage"):
        encode_one(parse_record(CHAT, "data.jsonl:3"), tokenizer)


def test_packing_keeps_examples_whole_and_never_trains_across_them(
    tmp_path: Path, tokenizer
) -> None:
    examples = [
        parse_record({"prompt": f"Frage {i}?", "completion": f"Antwort {i}."}, "x")
        for i in range(6)
    ]
    encoded = [ids for ids, _ in encode(examples, tokenizer)]
    seq_len = 2 * max(len(ids) for ids in encoded) + 1
    windows = pack(examples, tokenizer, seq_len, tmp_path, "train")
    assert len(windows) == 3 and windows.stats["truncated"] == 0
    first = windows.tokens[0].tolist()
    a, b = encoded[0], encoded[1]
    assert first[: len(a) + len(b)] == a + b
    assert not windows.trained[0, len(a)]  # nothing predicts the second example's first token
    assert not windows.trained[0, len(a) + len(b) :].any()  # padding
    inputs, targets = windows.targets([0])
    assert inputs.shape == targets.shape == (1, seq_len)
    assert int((targets != -100).sum()) == int(windows.trained[0, 1:].sum())


def test_long_text_is_split_and_long_chats_are_cut(tmp_path: Path, tokenizer) -> None:
    text = Example("text", "x", text=" ".join(["Daten"] * 200))
    n_ids = len(encode_one(text, tokenizer)[0])
    windows = pack([text], tokenizer, 16, tmp_path, "text")
    assert len(windows) == -(-(n_ids - 1) // 16) and windows.stats["truncated"] == 0
    long_chat = parse_record(
        {
            "messages": [
                {"role": "user", "content": "Hallo " * 50},
                {"role": "assistant", "content": "Hi " * 50},
            ]
        },
        "x",
    )
    windows = pack([long_chat], tokenizer, 16, tmp_path, "chat")
    assert windows.stats["truncated"] == 1 and len(windows) <= 1


def test_answer_loss_ignores_prompt_tokens_and_matches_the_plain_loss(
    tmp_path: Path, model_dir: Path, tokenizer
) -> None:
    chats = [parse_record(CHAT, "x"), parse_record(CHAT, "y")]
    windows = pack(chats, tokenizer, 128, tmp_path, "train")
    inputs, targets = windows.targets(list(range(len(windows))))
    lm = LlamaForCausalLM.from_pretrained(model_dir)
    loss = AnswerLoss(lm)
    assert loss.fused
    logits = lm(input_ids=inputs).logits
    expected = F.cross_entropy(
        logits.flatten(0, 1), targets.flatten(), ignore_index=-100, reduction="sum"
    )
    torch.testing.assert_close(loss(inputs, targets), expected, rtol=1e-5, atol=1e-4)
    everything = torch.from_numpy(windows.tokens[:, 1:].astype(np.int64))  # prompt targets too
    assert (targets != -100).sum() < everything.numel()
    assert float(loss(inputs, everything).detach()) != pytest.approx(float(expected.detach()))
    summed = loss(inputs, targets)
    summed.backward()
    assert lm.lm_head.weight.grad is not None
    lm.zero_grad()
    nothing = loss(inputs, torch.full_like(targets, -100))  # a micro-batch without answers
    nothing.backward()
    assert float(nothing.detach()) == 0.0
    assert lm.lm_head.weight.grad is not None and not lm.lm_head.weight.grad.any()  # for DDP


def test_reads_jsonl_gz_text_folders_and_datasets(tmp_path: Path, tiny_build) -> None:
    path = tmp_path / "data.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(CHAT) + "\n\n" + json.dumps({"text": "Hallo"}) + "\n")
    assert [e.kind for e in iter_examples(path)] == ["chat", "text"]
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Erste Notiz.", encoding="utf-8")
    (folder / "sub" / "b.md").write_text("# Zweite", encoding="utf-8")
    assert [e.where for e in iter_examples(folder)] == ["a.txt", "sub/b.md"]
    dataset = Path(tiny_build["dataset"]["path"])
    train, validation = list(iter_examples(dataset)), list(iter_examples(dataset, "validation"))
    assert train and validation and all(e.kind == "text" for e in train)


def _first_pass(path: Path) -> None:
    """The first pass `model finetune` makes over its data (`make_windows`): every example
    read and checked, before any tokenizing."""
    split_examples(path, None, 0.1, seed=0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "data.jsonl, Zeile 2, Spalte 2: kein gültiges JSON"),
        ('{"question": "x"}', "data.jsonl:2: ein Eintrag in keiner bekannten Form"),
        ('{"messages": [{"role": "user", "content": "x"}]}', "keine Nachricht von assistant"),
        ('{"messages": [{"role": "wizard", "content": "x"}]}', r"messages\[0\] braucht eine Rolle"),
        ('{"messages": [{"role": ["user"], "content": "x"}]}', r"messages\[0\] braucht eine Rolle"),
        ('{"prompt": 1, "completion": "x"}', "Feld „prompt“ muss ein Text sein"),
        ("[1, 2]", "ein JSON-Objekt erwartet"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps({"text": "gut"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        _first_pass(path)


def test_a_truncated_compressed_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(json.dumps({"text": f"Zeile {i}"}) + "\n" for i in range(2000)))
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(InputError, match=r"data\.jsonl\.gz lässt sich nach Zeile \d+ nicht lesen"):
        _first_pass(path)


def test_unknown_format_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="unbekanntes Format für Feinabstimmungsdaten"):
        _first_pass(tmp_path / "data.csv")
    with pytest.raises(InputError, match="existieren nicht"):
        _first_pass(tmp_path / "nope.jsonl")


def test_held_out_examples_are_seeded_and_never_all_or_none() -> None:
    held = held_out(20, 0.1, seed=4)
    assert held.sum() == 2 and np.array_equal(held_out(20, 0.1, seed=4), held)
    assert not np.array_equal(held_out(20, 0.1, seed=5), held)
    assert held_out(1, 0.5, seed=0).sum() == 0 and held_out(20, 0.0, seed=0).sum() == 0
    assert held_out(3, 0.01, seed=0).sum() == 1 and held_out(3, 0.99, seed=0).sum() == 2


def test_split_examples_keep_order_and_check_every_line_before_tokenizing(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", [{"text": str(i)} for i in range(20)])
    train, held = split_examples(path, None, 0.1, seed=4)
    train_numbers = [int(e.text) for e in train]
    held_numbers = [int(e.text) for e in held]
    assert len(held_numbers) == 2 and train_numbers == sorted(set(range(20)) - set(held_numbers))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{broken\n")
    with pytest.raises(InputError, match=r"data\.jsonl, Zeile 21, Spalte 2: kein gültiges JSON"):
        split_examples(path, None, 0.1, seed=4)  # nothing iterated yet: the first pass found it


# ---- identity with the in-memory packing this module replaced ---------------------------------
# The reference below is the former implementation (examples held in lists, windows as tensors),
# kept verbatim in spirit: the streamed, memory-mapped windows must equal what it produced.


def reference_encode(example: Example, tokenizer) -> tuple[list[int], list[bool]]:
    templated = example.kind == "chat" or (
        example.kind == "instruction" and bool(tokenizer.chat_template)
    )
    bos = tokenizer.bos_token_id
    adds_bos = bos is not None and tokenizer("a")["input_ids"][:1] == [bos]
    ids: list[int] = [bos] if not templated and adds_bos else []
    trained: list[bool] = [False] if not templated and adds_bos else []
    for text, flag in segments(example, tokenizer):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        trained += [flag] * len(piece)
    if not templated and tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
        trained.append(True)
    return ids, trained


def reference_pack(examples: list[Example], tokenizer, seq_len: int) -> dict:
    width = seq_len + 1
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stats = {"examples": len(examples), "truncated": 0, "without_targets": 0, "trained_tokens": 0}
    for kind in ("text", "instruction", "chat"):
        stats[f"{kind}_examples"] = sum(e.kind == kind for e in examples)
    rows: list[tuple[list[int], list[bool]]] = []
    current: tuple[list[int], list[bool]] = ([], [])
    for example in examples:
        ids, flags = reference_encode(example, tokenizer)
        if len(ids) <= width:
            items = [(ids, flags)]
        elif example.kind == "text":
            items = [
                (ids[s : s + width], flags[s : s + width])
                for s in range(0, len(ids) - 1, width - 1)
            ]
        else:
            stats["truncated"] += 1
            items = [(ids[:width], flags[:width])]
        for ids, flags in items:
            if not any(flags[1:]):
                stats["without_targets"] += 1
                continue
            if len(current[0]) + len(ids) > width:
                rows.append(current)
                current = ([], [])
            current[0].extend(ids)
            current[1].extend([False, *flags[1:]])
    if current[0]:
        rows.append(current)
    tokens = torch.full((len(rows), width), pad, dtype=torch.int32)
    trained = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, (ids, flags) in enumerate(rows):
        tokens[i, : len(ids)] = torch.tensor(ids, dtype=torch.int32)
        trained[i, : len(flags)] = torch.tensor(flags)
    stats["windows"] = len(rows)
    stats["trained_tokens"] = int(trained[:, 1:].sum())
    return {"tokens": tokens, "trained": trained, "stats": stats}


def reference_split(examples: list, fraction: float, seed: int) -> tuple[list, list]:
    if fraction <= 0 or len(examples) < 2:
        return examples, []
    count = min(len(examples) - 1, max(1, round(len(examples) * fraction)))
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed))
    held = set(order[:count].tolist())
    return [e for i, e in enumerate(examples) if i not in held], [
        e for i, e in enumerate(examples) if i in held
    ]


def reference_windows(
    data: Path, validation: Path | None, fraction: float, seed: int, tokenizer, seq_len: int
) -> tuple[dict, dict]:
    examples = list(iter_examples(data, "train"))
    if validation is not None:
        held = list(iter_examples(validation, "validation"))
    else:
        examples, held = reference_split(examples, fraction, seed)
    return reference_pack(examples, tokenizer, seq_len), reference_pack(held, tokenizer, seq_len)


def mixed_records(n: int) -> list[dict]:
    """Every format, short and long, answers cut off by the window and lines with no target."""
    records: list[dict] = []
    for i in range(n):
        kind = i % 7
        if kind == 0:
            records.append(CHAT)
        elif kind == 1:
            records.append({"prompt": f"Frage {i}?", "completion": f"Antwort {i}."})
        elif kind == 2:
            extra = "Haus" if i % 2 else ""
            records.append({"instruction": f"Übersetze {i}", "input": extra, "output": "house"})
        elif kind == 3:
            records.append({"text": " ".join(["Daten"] * (i % 60)) + f" Satz {i}."})
        elif kind == 4:
            records.append({"text": ""})  # only EOS: nothing to predict
        elif kind == 5:
            long_prompt = [{"role": "user", "content": "Hallo " * (10 + i % 40)}]
            records.append({"messages": [*long_prompt, {"role": "assistant", "content": "Hi."}]})
        else:
            records.append({"prompt": "Kurz?", "completion": " Lang" * (i % 30)})
    return records


def write_jsonl(path: Path, records: list[dict], blank_every: int = 0) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    if blank_every:
        lines = [line + ("\n" if i % blank_every else "\n   \n") for i, line in enumerate(lines)]
    else:
        lines = [line + "\n" for line in lines]
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return path


def assert_same_windows(windows, expected: dict) -> None:
    assert windows.stats == expected["stats"]
    assert np.array_equal(np.asarray(windows.tokens), expected["tokens"].numpy())
    assert np.array_equal(np.asarray(windows.trained), expected["trained"].numpy())
    rows = list(range(len(windows)))
    inputs, targets = windows.targets(rows)
    tokens = expected["tokens"].long()
    expected_targets = tokens[:, 1:].masked_fill(~expected["trained"][:, 1:], -100)
    assert torch.equal(inputs, tokens[:, :-1]) and torch.equal(targets, expected_targets)


def finetune_section(seq_len: int, fraction: float, seed: int, validation: Path | None = None):
    training = FinetuneTraining(seq_len=seq_len, seed=seed, device="cpu")
    return FinetuneSection(training=training, validation=validation, validation_fraction=fraction)


@pytest.mark.parametrize(
    ("name", "seq_len", "fraction", "seed"),
    [
        ("data.jsonl", 8, 0.1, 0),
        ("data.jsonl", 48, 0.25, 3),
        ("data.jsonl.gz", 128, 0.0, 1),
        ("data.jsonl", 300, 0.9, 7),
    ],
)
def test_streamed_windows_equal_the_in_memory_packing(
    tmp_path: Path, tokenizer, name: str, seq_len: int, fraction: float, seed: int
) -> None:
    data = write_jsonl(tmp_path / name, mixed_records(700), blank_every=13)
    section = finetune_section(seq_len, fraction, seed)
    train, val = make_windows(data, section, tokenizer, tmp_path / "tokens")
    expected_train, expected_val = reference_windows(data, None, fraction, seed, tokenizer, seq_len)
    assert_same_windows(train, expected_train)
    assert_same_windows(val, expected_val)


def test_streamed_windows_equal_with_a_validation_file_a_folder_and_a_dataset(
    tmp_path: Path, tokenizer, tiny_build
) -> None:
    held = write_jsonl(tmp_path / "held.jsonl", mixed_records(40))
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    for i in range(30):
        text = " ".join(["Bürgeramt prüft"] * (i * 3)) + f" Notiz {i}."
        (folder / ("sub" if i % 2 else "") / f"n{i:02}.txt").write_text(text, encoding="utf-8")
    dataset = Path(tiny_build["dataset"]["path"])
    for data, validation in ((folder, held), (folder, None), (held, dataset), (dataset, held)):
        section = finetune_section(16, 0.2, 5, validation)
        train, val = make_windows(data, section, tokenizer, tmp_path / "tokens")
        expected = reference_windows(data, validation, 0.2, 5, tokenizer, 16)
        assert_same_windows(train, expected[0])
        assert_same_windows(val, expected[1])


@pytest.mark.parametrize("add_bos", [False, True])
def test_streamed_windows_equal_without_a_chat_template(
    tmp_path: Path, tokenizer, add_bos: bool
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tokenizer.name_or_path, add_bos_token=add_bos)
    tokenizer.chat_template = None
    records = [r for r in mixed_records(300) if "messages" not in r]
    data = write_jsonl(tmp_path / "pairs.jsonl", records)
    section = finetune_section(24, 0.3, 2)
    train, val = make_windows(data, section, tokenizer, tmp_path / "tokens")
    expected_train, expected_val = reference_windows(data, None, 0.3, 2, tokenizer, 24)
    assert_same_windows(train, expected_train)
    assert_same_windows(val, expected_val)


def test_packing_a_large_file_holds_neither_its_examples_nor_its_windows(
    tmp_path: Path, tokenizer
) -> None:
    lines = [{"text": f"Zeile {i}: offene Daten für alle."} for i in range(20_000)]
    data = write_jsonl(tmp_path / "large.jsonl", lines)
    tracemalloc.start()
    try:
        examples = list(iter_examples(data))  # what holding the examples alone would cost
        held_bytes = tracemalloc.get_traced_memory()[0]
        del examples
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        section = finetune_section(64, 0.1, 0)
        train, val = make_windows(data, section, tokenizer, tmp_path / "tokens")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert train.stats["examples"] + val.stats["examples"] == len(lines)
    assert isinstance(train.tokens, np.memmap) and isinstance(train.trained, np.memmap)
    assert peak < held_bytes / 5, f"peak {peak / 1e6:.2f} MB, examples {held_bytes / 1e6:.2f} MB"


def windows_content(windows) -> tuple:
    rows = list(range(len(windows)))
    inputs, targets = windows.targets(rows) if rows else (torch.zeros(0), torch.zeros(0))
    return windows.stats, inputs.tolist(), targets.tolist()


def test_followers_map_the_leaders_files_without_reading_or_packing(
    tmp_path: Path, tokenizer, tiny_build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under torchrun the leader packs; the layouts it sends (JSON) are all a follower needs
    to map the same windows: it neither reads the data nor writes a token file."""
    data = write_jsonl(tmp_path / "data.jsonl", mixed_records(200))
    dataset = Path(tiny_build["dataset"]["path"])
    cases = [(data, 0.2), (data, 0.0), (dataset, 0.1)]  # packed, empty validation, curated
    made = []
    for i, (source, fraction) in enumerate(cases):
        folder = tmp_path / f"tokens{i}"
        train, val = make_windows(source, finetune_section(16, fraction, 3), tokenizer, folder)
        layouts = json.loads(json.dumps({"train": train.layout(), "validation": val.layout()}))
        made.append((folder, layouts, [windows_content(w) for w in (train, val)]))
    assert [layouts["train"]["format"] for _, layouts, _ in made] == ["packed"] * 2 + ["stream"]
    assert made[1][1]["validation"]["stats"]["windows"] == 0

    def refuse(*args, **kwargs):
        raise AssertionError("a follower read or packed the data")

    for name in ("pack", "split_examples", "tokenize_split"):
        monkeypatch.setattr(f"gemeingut.model.finetune_windows.{name}", refuse)
    data.unlink()
    for folder, layouts, expected in made:
        before = sorted(folder.iterdir())
        opened = [open_windows(folder, layouts[split]) for split in ("train", "validation")]
        assert [windows_content(w) for w in opened] == expected
        assert sorted(folder.iterdir()) == before

    folder, layouts, _ = made[0]
    layouts["train"]["stats"] = {**layouts["train"]["stats"], "windows": 10_000}
    with pytest.raises(InputError, match="die der Leitprozess gepackt hat"):
        open_windows(folder, layouts["train"])


def test_a_text_file_that_is_not_utf8_is_named_with_its_line_in_german(tmp_path: Path) -> None:
    """A Latin-1 note in a folder of fine-tuning texts: the file and line to mend, in the
    reader's words, not Python's English reason ("invalid continuation byte")."""
    from gemeingut.i18n import text

    folder = tmp_path / "notizen"
    folder.mkdir()
    (folder / "a.txt").write_text("Gute Notiz.\n", encoding="utf-8")
    (folder / "b.txt").write_bytes("Erste Zeile.\nÄnderung im Amt.\n".encode("latin-1"))
    with pytest.raises(InputError) as refused:
        list(iter_examples(folder))
    said = text(refused.value.message, "de")
    assert said.startswith(f"{folder / 'b.txt'}:2 lässt sich nicht lesen: kein UTF-8-Text"), said
    assert "byte" not in said and text(refused.value.hint, "de") == "speichern Sie sie als UTF-8"


def test_the_byte_is_counted_in_its_line_and_a_folder_named_as_the_cli_names_it(
    tmp_path: Path,
) -> None:
    """`read_utf8`: the byte to mend counted from the start of its line (Python counts the
    whole file), and a path the system refuses said in the reader's words."""
    from gemeingut.i18n import text
    from gemeingut.json_records import read_utf8

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Zeile eins\nZeile \xe4 zwei\n")
    with pytest.raises(InputError) as refused:
        read_utf8(bad)
    assert text(refused.value.message, "en") == f"{bad}:2 cannot be read: not UTF-8 text (byte 7)"
    with pytest.raises(InputError) as refused:
        read_utf8(tmp_path)
    assert (
        text(refused.value.message, "de")
        == f"{tmp_path} ist ein Ordner, hier ist aber eine Datei nötig"
    )
