"""Fine-tuning data: formats, answer-only training flags, packing and bad input."""

import gzip
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoTokenizer, LlamaForCausalLM

from gemeingut.errors import InputError
from gemeingut.model.finetune_data import (
    Example,
    encode,
    pack,
    parse_record,
    read_examples,
    split_validation,
)
from gemeingut.model.loss import AnswerLoss
from gemeingut.model.tokenizer import IM_END
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


def trained_text(example: Example, tokenizer) -> tuple[str, str]:
    ids, flags = encode(example, tokenizer)
    trained = [i for i, f in zip(ids, flags, strict=True) if f]
    untrained = [i for i, f in zip(ids, flags, strict=True) if not f]
    return tokenizer.decode(trained), tokenizer.decode(untrained)


def test_chat_trains_only_the_assistant_turns_with_their_end_of_turn(tokenizer) -> None:
    trained, untrained = trained_text(parse_record(CHAT, "x:1"), tokenizer)
    assert trained == f"Allen gemeinsam.{IM_END}\nDie offenen Daten auch.{IM_END}\n"
    for prompt in ("Du antwortest kurz.", "Wem gehört das Gemeingut?", "Und die Daten?"):
        assert prompt in untrained and prompt not in trained
    # The prompt is tokenized as at inference: up to and including the generation prompt.
    ids, _ = encode(parse_record(CHAT, "x:1"), tokenizer)
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
    assert encode(pair, tokenizer) == encode(parse_record(as_chat, "x:1"), tokenizer)
    alpaca = parse_record({"instruction": "Übersetze", "input": "Haus", "output": "house"}, "x:2")
    assert alpaca.kind == "instruction" and alpaca.prompt == "Übersetze\n\nHaus"
    trained, _ = trained_text(alpaca, tokenizer)
    assert trained.startswith("house")


def test_plain_text_is_trained_throughout(tokenizer) -> None:
    ids, flags = encode(Example("text", "x", text="Offene Daten für alle."), tokenizer)
    assert all(flags) and ids[-1] == tokenizer.eos_token_id


def test_without_a_chat_template_prompt_completion_is_concatenated(tokenizer) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = None
    trained, untrained = trained_text(
        parse_record({"prompt": "A: ", "completion": "B"}, "x"), tokenizer
    )
    assert trained == f"B{tokenizer.eos_token}" and untrained == "A: "
    with pytest.raises(InputError, match="no chat template"):
        encode(parse_record(CHAT, "data.jsonl:3"), tokenizer)


def test_packing_keeps_examples_whole_and_never_trains_across_them(tokenizer) -> None:
    examples = [
        parse_record({"prompt": f"Frage {i}?", "completion": f"Antwort {i}."}, "x")
        for i in range(6)
    ]
    encoded = [encode(e, tokenizer)[0] for e in examples]
    seq_len = 2 * max(len(ids) for ids in encoded) + 1
    windows = pack(examples, tokenizer, seq_len)
    assert len(windows) == 3 and windows.stats["truncated"] == 0
    first = windows.tokens[0].tolist()
    a, b = encoded[0], encoded[1]
    assert first[: len(a) + len(b)] == a + b
    assert not windows.trained[0, len(a)]  # nothing predicts the second example's first token
    assert not windows.trained[0, len(a) + len(b) :].any()  # padding
    inputs, targets = windows.targets([0])
    assert inputs.shape == targets.shape == (1, seq_len)
    assert int((targets != -100).sum()) == int(windows.trained[0, 1:].sum())


def test_long_text_is_split_and_long_chats_are_cut(tokenizer) -> None:
    text = Example("text", "x", text=" ".join(["Daten"] * 200))
    n_ids = len(encode(text, tokenizer)[0])
    windows = pack([text], tokenizer, seq_len=16)
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
    windows = pack([long_chat], tokenizer, seq_len=16)
    assert windows.stats["truncated"] == 1 and len(windows) <= 1


def test_answer_loss_ignores_prompt_tokens_and_matches_the_plain_loss(
    model_dir: Path, tokenizer
) -> None:
    windows = pack([parse_record(CHAT, "x"), parse_record(CHAT, "y")], tokenizer, 128)
    inputs, targets = windows.targets(list(range(len(windows))))
    lm = LlamaForCausalLM.from_pretrained(model_dir)
    loss = AnswerLoss(lm)
    assert loss.fused
    logits = lm(input_ids=inputs).logits
    expected = F.cross_entropy(
        logits.flatten(0, 1), targets.flatten(), ignore_index=-100, reduction="sum"
    )
    torch.testing.assert_close(loss(inputs, targets), expected, rtol=1e-5, atol=1e-4)
    everything = windows.tokens.long()[:, 1:]  # prompt targets too: a different sum
    assert (targets != -100).sum() < everything.numel()
    assert float(loss(inputs, everything).detach()) != pytest.approx(float(expected.detach()))
    summed = loss(inputs, targets)
    summed.backward()
    assert lm.lm_head.weight.grad is not None


def test_reads_jsonl_gz_text_folders_and_datasets(tmp_path: Path, tiny_build) -> None:
    path = tmp_path / "data.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(CHAT) + "\n\n" + json.dumps({"text": "Hallo"}) + "\n")
    assert [e.kind for e in read_examples(path)] == ["chat", "text"]
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Erste Notiz.", encoding="utf-8")
    (folder / "sub" / "b.md").write_text("# Zweite", encoding="utf-8")
    assert [e.where for e in read_examples(folder)] == ["a.txt", "sub/b.md"]
    dataset = Path(tiny_build["dataset"]["path"])
    train, validation = read_examples(dataset, "train"), read_examples(dataset, "validation")
    assert train and validation and all(e.kind == "text" for e in train)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "data.jsonl:2: not a JSON object"),
        ('{"question": "x"}', "data.jsonl:2: unknown record"),
        ('{"messages": [{"role": "user", "content": "x"}]}', "no assistant message"),
        ('{"messages": [{"role": "wizard", "content": "x"}]}', r"messages\[0\] needs a role"),
        ('{"prompt": 1, "completion": "x"}', "field 'prompt' must be a string"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps({"text": "gut"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_examples(path)


def test_a_truncated_compressed_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(json.dumps({"text": f"Zeile {i}"}) + "\n" for i in range(2000)))
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(InputError, match=r"data\.jsonl\.gz cannot be read after line \d+"):
        read_examples(path)


def test_unknown_format_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown fine-tuning data format"):
        read_examples(tmp_path / "data.csv")
    with pytest.raises(InputError, match="does not exist"):
        read_examples(tmp_path / "nope.jsonl")


def test_validation_split_is_seeded_and_keeps_order() -> None:
    examples = [Example("text", str(i), text=str(i)) for i in range(20)]
    train, held = split_validation(examples, 0.1, seed=4)
    assert len(held) == 2 and len(train) == 18
    assert split_validation(examples, 0.1, seed=4) == (train, held)
    assert [int(e.where) for e in train] == sorted(int(e.where) for e in train)
    assert split_validation(examples[:1], 0.5, seed=0) == (examples[:1], [])
