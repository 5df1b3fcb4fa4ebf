"""`serve --max-uploads N` bounds the uploads of all server processes on one collections folder
together: two real `gemeingut serve` processes, each told N=2, take two uploads between them
and answer a third with 503; a process killed with `kill -9` mid-upload gives its slot back.
Each upload's embedding waits at a real remote encoder on loopback until the test opens it."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest, open_collection
from gemeingut.cli import app as cli
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.upload_slots import SLOTS_FOLDER
from tests.http_server import start_serving
from tests.serve.conftest import MODEL_NAME
from tests.serve.embedding_endpoint import MODEL, EmbeddingEndpoint, embedding_endpoint
from tests.serve.test_collection_uploads import upload

Serve = Callable[[FastAPI], AbstractContextManager[str]]


@pytest.fixture
def encoder() -> Iterator[EmbeddingEndpoint]:
    with embedding_endpoint() as endpoint:
        yield endpoint


def remote_collections(tmp_path: Path, url: str) -> Path:
    """Two collections whose vectors the remote encoder makes."""
    root = tmp_path / "collections"
    for name in ("vergabe", "personal"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "notiz.txt").write_text(f"Die Frist für {name} endet bald.", encoding="utf-8")
        ingest(root, name, [folder], groups=["amt"], embed=EmbedderSpec(url, MODEL))
    return root


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_two_processes_share_the_upload_slots_and_a_killed_one_frees_its_own(
    model_dir: Path, tmp_path: Path, encoder: EmbeddingEndpoint
) -> None:
    root = remote_collections(tmp_path, encoder.url)
    options = ("--collections", str(root), "--upload-max-mb", "1", "--max-uploads", "2")
    first, first_url = start_serving(model_dir, MODEL_NAME, *options)
    second, second_url = start_serving(model_dir, MODEL_NAME, *options)
    answers: dict[str, httpx.Response | Exception] = {}

    def uploading(url: str, collection: str, name: str) -> threading.Thread:
        def run() -> None:
            try:
                answers[name] = upload(url, None, collection, b"Ein neuer Vermerk.", name)
            except httpx.HTTPError as error:  # its server was killed
                answers[name] = error

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    try:
        encoder.gate.clear()  # every embedding now waits: its upload holds its slot
        arrived = encoder.arrived
        held = [uploading(first_url, "vergabe", "Erster.md")]
        until(lambda: encoder.arrived == arrived + 1, "the first upload never reached the encoder")
        held.append(uploading(second_url, "personal", "Zweiter.md"))
        until(lambda: encoder.arrived == arrived + 2, "the second upload never reached it")

        for url in (first_url, second_url):  # the third, whichever process takes it
            refused = upload(url, None, "vergabe", b"Noch einer.", "Dritter.md")
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "uploads_busy"
            assert refused.headers["retry-after"] == "5"

        os.kill(first.pid, signal.SIGKILL)  # mid-upload: its slot is the kernel's to free
        first.wait(timeout=30)
        held.append(uploading(second_url, "vergabe", "Vierter.md"))
        until(lambda: encoder.arrived == arrived + 3, "the killed process's slot stayed taken")
        encoder.gate.set()
        for thread in held:
            thread.join(60)
    finally:
        encoder.gate.set()
        for server in (first, second):
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
    assert isinstance(answers["Erster.md"], httpx.HTTPError)  # its server died
    for name in ("Zweiter.md", "Vierter.md"):
        done = answers[name]
        assert isinstance(done, httpx.Response) and done.status_code == 200, done


def test_a_collections_folder_without_room_for_the_slots_is_refused_before_the_model_loads(
    tmp_path: Path,
) -> None:
    unloadable = tmp_path / "kaputt"  # taken for a model, but never loaded: the check is first
    unloadable.mkdir()
    (unloadable / "config.json").write_text("{}", encoding="utf-8")
    root = tmp_path / "collections"
    root.mkdir()
    (root / SLOTS_FOLDER).write_text("kein Ordner", encoding="utf-8")
    command = ["serve", str(unloadable), "--collections", str(root), "--upload-max-mb", "1"]
    refused = CliRunner().invoke(cli, command)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2, refused.output
    assert "die Plätze für Uploads können nicht in" in said
    assert "der Server muss dort schreiben dürfen" in said


def test_slots_that_went_away_are_the_servers_trouble_said_as_507(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """Slots made again in a new folder would not be the ones other processes hold: refused."""
    with embedding_endpoint() as endpoint:
        root = remote_collections(tmp_path, endpoint.url)
        app = create_app(backend, collections=root, upload_max_bytes=1024 * 1024)
        shutil.rmtree(root / SLOTS_FOLDER)
        with serve(app) as url:
            refused = upload(url, None, "vergabe", b"Ein Vermerk.", "Vermerk.md")
        assert refused.status_code == 507, refused.text
        assert refused.json()["error"]["message"] == (
            "der Server konnte die Datei nicht speichern; sagen Sie es dem Betrieb des Servers"
        )
        assert "Vermerk.md" not in open_collection(root, "vergabe").meta["documents"]
