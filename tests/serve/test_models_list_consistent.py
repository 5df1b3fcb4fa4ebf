"""`/v1/models` says of every kind of model the same thing in its number and in its words, and
lists what the model can be asked as the server would answer it.

A tester served a plain folder whose card names Apache-2.0 (the weights alone open): its entry
read `"mof_class": 3` beside „keine Klasse erreicht (Klasse III – Open Model nur bedingt …",
and `capabilities` had no `chat` although chats worked (the folder has a chat template; one
without is refused chats, `no_chat_template`). Now the number is the class met in full, and
`chat` is listed where chats are answered: for a plain folder with and without a chat
template, a release bundle, a build's model artifact, and an engine behind --upstream with and
without --model-card. The official client, against real servers on loopback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from gemeingut.release.openness.mof import LABELS, said
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.backends.upstream import UpstreamBackend
from gemeingut.serve.model_openness import card_openness, model_openness
from gemeingut.serve.runner import resolve_model_dir
from gemeingut.serve.served import ModelEntry
from tests.http_server import running_server
from tests.serve.test_serve_start import started

CHAT = [{"role": "user", "content": "Hallo"}]


def carded(model_dir: Path, folder: Path, chat_template: bool) -> Path:
    """A copy of the tiny Llama whose card names Apache-2.0, with or without a chat template."""
    shutil.copytree(model_dir, folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# Modell\n", "utf-8")
    if not chat_template:
        (folder / "chat_template.jinja").unlink(missing_ok=True)
        config = folder / "tokenizer_config.json"
        settings = json.loads(config.read_text("utf-8"))
        settings.pop("chat_template", None)
        config.write_text(json.dumps(settings), "utf-8")
    return folder


def assert_consistent(openness: dict) -> None:
    """The number and the words name one class: the class met in full, or, for a conditional
    Class III, none, said as none with its condition."""
    number, words = openness["mof_class"], openness["mof_said"]
    if openness["mof_conditional"]:
        assert number == 0, openness
        assert words.startswith("keine Klasse erreicht (Klasse III – Open Model nur bedingt: ")
    else:
        assert openness["mof_label"] == LABELS[number], openness
        assert words == said(LABELS[number], "de"), openness


def listed(url: str) -> dict[str, dict]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    return {model.id: model.model_extra or {} for model in client.models.list()}


def test_the_testers_folder_says_one_class_and_lists_chat(model_dir: Path, tmp_path: Path) -> None:
    """The tester's case, through `gemeingut serve`: a plain folder with a chat template."""
    folder = carded(model_dir, tmp_path / "tiny", chat_template=True)
    with started(tmp_path / "serve.log", str(folder), "--threads", "1") as url:
        [shown] = listed(url).values()
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        chat = client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=2)
    assert chat.choices[0].message.content is not None
    openness = shown["openness"]
    assert (openness["mof_class"], openness["mof_conditional"]) == (0, True)
    assert openness["mof_label"] == "Class III - Open Model (conditional)"  # as recorded
    assert_consistent(openness)
    assert shown["capabilities"] == ["completion", "chat", "embedding"]


@pytest.fixture(scope="module")
def served(
    model_dir: Path, tiny_build: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One server with a model of each kind this process runs: plain folders with and without
    a chat template, the tiny release bundle and the build's model artifact."""
    root = tmp_path_factory.mktemp("kinds")
    folders = {
        "chats": carded(model_dir, root / "chats", chat_template=True),
        "plain": carded(model_dir, root / "plain", chat_template=False),
        "bundle": resolve_model_dir(Path(tiny_build["release"]["path"])),
        "artifact": resolve_model_dir(Path(tiny_build["model"]["path"])),
    }
    entries = [
        ModelEntry(TransformersBackend(folder, model_name=name), model_openness(folder))
        for name, folder in folders.items()
    ]
    first = entries[0]
    app = create_app(first.backend, openness=first.openness, also=tuple(entries[1:]))
    with running_server(app) as url:
        yield url


def test_every_kind_of_folder_says_one_class(served: str) -> None:
    shown = listed(served)
    assert set(shown) == {"chats", "plain", "bundle", "artifact"}
    for entry in shown.values():
        assert_consistent(entry["openness"])
    assert shown["bundle"]["openness"]["check"] == "gemeingut verify BUNDLE"
    assert shown["artifact"]["openness"]["check"] == "gemeingut openness rate DIR"


def test_chat_is_listed_where_chats_are_answered(served: str) -> None:
    shown = listed(served)
    client = openai.OpenAI(base_url=f"{served}/v1", api_key="unused", max_retries=0)
    assert shown["chats"]["capabilities"] == ["completion", "chat", "embedding"]
    assert shown["plain"]["capabilities"] == ["completion", "embedding"]
    answered = client.chat.completions.create(model="chats", messages=CHAT, max_tokens=2)
    assert answered.choices[0].message is not None
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="plain", messages=CHAT, max_tokens=2)
    assert refused.value.code == "no_chat_template"
    written = client.completions.create(model="plain", prompt="Das Amt", max_tokens=2)
    assert written.choices[0].text is not None  # it writes: `completion` holds
    for name in ("bundle", "artifact"):  # a gemeingut model: chats where its tokenizer has one
        info = httpx.get(f"{served}/tokenizer_info", params={"model": name}, timeout=30).json()
        assert ("chat" in shown[name]["capabilities"]) == bool(info["chat_template"])


def test_an_engine_behind_upstream_says_one_class(served: str) -> None:
    """Unrated without --model-card (no files: no class), rated from the folder with it; what
    it can be asked, as the engine (another gemeingut) lists it."""
    engines = {
        name: UpstreamBackend(served, model_name=f"up-{name}", upstream_model=name)
        for name in ("chats", "plain")
    }
    bare = ModelEntry(engines["plain"])  # no openness: the app lists it as unrated
    app = create_app(engines["chats"], openness=None, also=(bare,))
    with running_server(app) as url:
        shown = listed(url)
    assert shown["up-chats"]["capabilities"] == ["completion", "chat", "embedding"]
    assert shown["up-plain"]["capabilities"] == ["completion", "embedding"]
    for entry in shown.values():
        assert entry["openness"]["mof_label"] == "Unclassified"
        assert_consistent(entry["openness"])


def test_a_model_card_folder_says_one_class(served: str, model_dir: Path, tmp_path: Path) -> None:
    folder = carded(model_dir, tmp_path / "card", chat_template=True)
    engine = UpstreamBackend(served, model_name="up", upstream_model="chats")
    with running_server(create_app(engine, openness=card_openness(folder))) as url:
        [entry] = listed(url).values()
    assert (entry["openness"]["mof_class"], entry["openness"]["mof_conditional"]) == (0, True)
    assert_consistent(entry["openness"])
