"""The look inside, in a real browser: the next token's shares are the model's own
probabilities (what `/v1/completions` and the logit lens report, not shares among the shown
tokens), the tokens not shown are one bar, temperature is applied over the whole vocabulary and
top-p to the real distribution; where the server's list of likeliest tokens leaves room, the
page gives a range that holds the model's value, and says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.logprobs import token_names
from tests.apps.web.conftest import axe_violations, look_inside

PROMPT = "Die Katze sieht"
SHOWN = 10
BAR = re.compile(
    r"^(?P<token>.*?) ?(?P<low>\d+,\d)(?: bis (?P<high>\d+,\d))? %(?: \((?P<note>.+)\))?$"
)


@pytest.fixture(scope="module")
def model(long_model_dir: Path) -> TransformersBackend:
    return TransformersBackend(long_model_dir, model_name="winzig")


def visible(name: str) -> str:
    """A token as the page shows it: signs for spaces, line breaks and tabs; part of a character
    (`bytes:\\xe2\\x80` from the server) as ⟨E2 80⟩."""
    if name.startswith("bytes:\\x"):
        data = bytes.fromhex(name[6:].replace("\\x", ""))
        return "⟨" + data.hex(" ").upper() + "⟩"
    return name.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


def exact(model: TransformersBackend, temperature: float) -> list[tuple[str, float]]:
    """The model's next-token distribution at `temperature` over its whole vocabulary, from its
    weights: (token as the page shows it, probability), likeliest first; of tokens with the
    same text only the likeliest, as the page lists them."""
    import torch

    ids = model.tokenize(PROMPT)
    with torch.no_grad():
        logits = model.model(torch.tensor([ids], device=model.device)).logits[0, -1].float()
    probabilities = torch.softmax(logits / temperature, dim=-1).cpu()
    values, order = probabilities.sort(descending=True)
    texts = [visible(name) for name in token_names(model, order.tolist())]
    listed: dict[str, float] = {}
    for text, value in zip(texts, values.tolist(), strict=True):
        listed.setdefault(text, value)
    return list(listed.items())


def bars(page) -> list[dict]:
    """Each bar's token, share (low, high in %) and note, as the page writes them."""
    read = []
    for text in page.locator("#next li label").all_inner_texts():
        match = BAR.match(text)
        assert match, text
        low = float(match["low"].replace(",", "."))
        high = float((match["high"] or match["low"]).replace(",", "."))
        read.append({"token": match["token"], "low": low, "high": high, "note": match["note"]})
    return read


def test_the_shares_are_the_models_probabilities_with_the_rest_as_one_bar(
    page, site: dict, model: TransformersBackend
) -> None:
    look_inside(page, site, PROMPT)
    assert page.locator("#tokens li").count() > 1
    shown = bars(page)
    truth = exact(model, 1.0)
    assert len(shown) == SHOWN + 1
    for bar, (token, p) in zip(shown[:SHOWN], truth, strict=False):
        assert bar["token"] == token and bar["low"] == bar["high"] == round(100 * p, 1), bar
    others = shown[-1]
    assert others["token"] == "übrige Tokens"
    rest = 100 * (1 - sum(p for _t, p in truth[:SHOWN]))  # the same text's others too
    assert others["low"] == others["high"] == pytest.approx(rest, abs=0.05)
    # the same number as the logit lens's last layer, which is the model's answer
    lens = page.locator("#lens tbody tr").last.locator("td")
    lens.wait_for()
    assert f"({shown[0]['low']:.1f} %)".replace(".", ",") in lens.inner_text()
    note = page.locator("#next-note").inner_text()
    assert "Wahrscheinlichkeit, die das Modell diesem Token" in note and "Bereich" not in note
    assert axe_violations(page) == []


def test_top_p_applies_to_the_real_distribution(page, site: dict, model: TransformersBackend):
    """The tiny random model spreads its probability thinly: the ten likeliest tokens hold
    far less than half of it, so top-p 0.5 keeps all of them and reaches beyond."""
    look_inside(page, site, PROMPT)
    page.get_by_label("Top-p").fill("0.5")
    truth = exact(model, 1.0)
    assert sum(p for _t, p in truth[:SHOWN]) < 0.5
    assert page.locator("#next li.left-out").count() == 0
    assert bars(page)[-1]["note"] == "Top-p behält einige davon"
    assert axe_violations(page) == []


@pytest.mark.parametrize("temperature", ["0.1", "0.5", "1.3", "2"])
def test_temperature_is_applied_over_the_whole_vocabulary(
    page, site: dict, model: TransformersBackend, temperature: str
) -> None:
    """Each share is a range that holds the model's probability at that temperature (computed
    here from its weights); top-p leaves out exactly the tokens the sampler would."""
    look_inside(page, site, PROMPT)
    page.get_by_label("Temperatur").fill(temperature)
    page.get_by_label("Top-p").fill("0.05")
    truth = exact(model, float(temperature))
    shown = bars(page)
    before = 0.0
    left_out = page.locator("#next li").evaluate_all(
        "items => items.map(item => item.classList.contains('left-out'))"
    )
    for i, (bar, (token, p)) in enumerate(zip(shown[:SHOWN], truth, strict=False)):
        assert bar["token"] == token
        # the range as written holds the value: rounded outwards, not each end to the nearest
        assert bar["low"] <= 100 * p <= bar["high"], (bar, 100 * p)
        if bar["note"] is None:
            assert i == 0 or before < 0.05, (bar, before)
        if left_out[i]:
            assert before >= 0.05, (bar, before)
        before += p
    others = shown[-1]
    assert others["low"] <= 100 * (1 - before) <= others["high"], (others, 100 * (1 - before))
    note = page.locator("#next-note").inner_text()
    if any(bar["low"] != bar["high"] for bar in shown):
        assert "zeigt die Seite den Bereich" in note
    # a screen reader hears each bar's share at this temperature as written, range and all,
    # not the meter's value (its lower end, as a fraction of 1)
    heard = page.locator("#next meter").evaluate_all(
        "meters => meters.map(m => m.getAttribute('aria-valuetext'))"
    )
    written = page.locator("#next li label").all_inner_texts()
    assert len(heard) == len(written)
    for said, label in zip(heard, written, strict=True):
        share = re.search(r"(\d+,\d(?: bis \d+,\d)? %)(?: \(.+\))?$", label)[1]
        assert said and said.startswith(share), (said, label)
    assert axe_violations(page) == []


def test_a_low_temperature_sharpens_the_distribution(page, site: dict) -> None:
    look_inside(page, site, PROMPT)
    even = bars(page)[0]["low"]
    page.get_by_label("Temperatur").fill("0.1")
    assert bars(page)[0]["low"] > even
    assert page.locator("#temperature-value").inner_text() == "0,1"
    rows = page.locator("#lens tbody tr")  # the logit lens: one row per layer (2 here)
    rows.first.wait_for()
    assert rows.count() == 2 and rows.nth(1).locator("th").inner_text() == "2"


def test_the_vocabulary_of_a_padded_model_counts_every_logit(
    long_model_dir: Path, tmp_path: Path
) -> None:
    """The sure range above temperature 1 spreads the unlisted mass over the whole vocabulary:
    a model padded beyond its tokenizer must report every token it gives a logit."""
    import httpx
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from gemeingut.serve.app import create_app
    from tests.http_server import running_server

    tokenizer = AutoTokenizer.from_pretrained(long_model_dir)
    config = LlamaConfig.from_pretrained(long_model_dir)
    config.vocab_size = len(tokenizer) + 61  # as a vocabulary rounded up to a multiple of 64
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    backend = TransformersBackend(tmp_path, model_name="gepolstert")
    with running_server(create_app(backend)) as url:
        info = httpx.get(f"{url}/tokenizer_info", timeout=30).json()
    assert info["vocab_size"] == config.vocab_size > len(tokenizer)


def test_spaces_and_slider_values_are_said_as_they_are_shown(page, site: dict) -> None:
    """A screen reader hears "Leerzeichen" where the page shows ␣, and the sliders' values as
    the page writes them (0,8), not as the slider's number (0.8)."""
    look_inside(page, site, PROMPT)
    spaced = page.locator("#tokens li", has_text="␣").first
    shown = spaced.inner_text()
    assert spaced.get_attribute("aria-label") == shown.replace("␣", " Leerzeichen ").strip()
    help_text = page.locator("#tokens-result").inner_text()
    assert "␣ steht für ein Leerzeichen" in help_text
    # a line break or a tab would show as nothing: a bar with a number and no name
    assert "↵ steht für einen Zeilenumbruch, ⇥ für einen Tabulator." in help_text
    assert "etwa ⟨U+000B⟩ für einen vertikalen Tabulator." in help_text
    assert page.evaluate("visibleToken(' Amt\\n\\t')") == "␣Amt↵⇥"
    page.get_by_label("Temperatur").fill("0.8")
    assert page.get_by_label("Temperatur").get_attribute("aria-valuetext") == "0,8"


def test_a_character_that_shows_nothing_is_shown_by_its_number(page, site: dict) -> None:
    """A vertical tab (one of the tiny model's likeliest next tokens, pasted from old office
    files too) or a zero-width space showed as an empty box, and a screen reader said nothing:
    each is shown by its number in Unicode, in the text's tokens as in the next ones."""
    look_inside(page, site, "Akte\x0bNr")
    shown = "".join(page.locator("#tokens li").all_inner_texts())
    assert "⟨U+000B⟩" in shown and "\x0b" not in shown
    assert (
        page.evaluate("visibleToken('\\u200bAmt\\u202e \\x7f')") == "⟨U+200B⟩Amt⟨U+202E⟩␣⟨U+007F⟩"
    )
    assert axe_violations(page) == []


def test_a_token_that_is_part_of_a_character_shows_its_bytes(page, site: dict) -> None:
    """中 is not in the tiny tokenizer's merges: its three bytes come as tokens that decode to
    U+FFFD alone. The page shows each as its bytes (⟨E4 B8⟩), says them in words to a screen
    reader and explains them; joined, the bytes are the character."""
    look_inside(page, site, "Amt 中")
    shown = page.locator("#tokens li").all_inner_texts()
    assert "\ufffd" not in "".join(shown)
    parts = [text for text in shown if text.startswith("⟨")]
    assert b"".join(bytes.fromhex(text[1:-1]) for text in parts) == "中".encode()
    said = page.locator("#tokens li", has_text=parts[0]).first.get_attribute("aria-label")
    assert said == f"Teil eines Zeichens, Bytes {parts[0][1:-1]}"
    help_text = page.locator("#tokens-result").inner_text()
    assert "⟨E2 82⟩ ist ein Token, das nur einen Teil eines Zeichens enthält" in help_text
    assert "Das Zeichen € zum Beispiel hat die Bytes E2 82 AC." in help_text  # no bare „
    assert page.evaluate("visibleToken('bytes:\\\\xe2\\\\x80')") == "⟨E2 80⟩"
    assert axe_violations(page) == []
