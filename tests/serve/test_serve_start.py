"""`gemeingut serve` started as a user starts it, in its own process: its start names each model
with what runs it, where and how, and the URL, before uvicorn serves; behind `--upstream` the
model is rated from the folder `--model-card` names (and shown as not rated without one)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend

Serve = Callable[[FastAPI], AbstractContextManager[str]]
CLASS_I = {
    "open": True,
    "licenses": {"weights": "CC-BY-SA-4.0", "code": "EUPL-1.2", "data": "CC-BY-4.0"},
    "mof": {"class": 1, "label": "Class I - Open Science"},
    "osaid": {"passed": True},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "gemeingut.cli", "serve", *arguments]


def environment() -> dict[str, str]:
    return {**os.environ, "GEMEINGUT_LANG": "de", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


@contextmanager
def started(log: Path, *arguments: str) -> Iterator[str]:
    """The server's base URL once /health answers; its stderr goes to `log`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as err:
        server = subprocess.Popen(
            serve_command(*arguments, "--port", str(port)),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=environment(),
        )
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            assert server.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_behind_upstream_the_model_card_folder_is_rated_and_none_is_not_rated(
    model_dir: Path, backend: TransformersBackend, serve: Serve, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(model_dir, bundle / "model")
    (bundle / "openness.json").write_text(json.dumps(CLASS_I), encoding="utf-8")
    with serve(create_app(backend)) as engine:
        with started(tmp_path / "a.log", "--upstream", engine, "--model-card", str(bundle)) as url:
            [rated] = httpx.get(f"{url}/v1/models").json()["data"]
        with started(tmp_path / "b.log", "--upstream", engine) as url:
            [bare] = httpx.get(f"{url}/v1/models").json()["data"]
    said = (tmp_path / "a.log").read_text(encoding="utf-8")
    assert f"Modell tiny-llama: Engine {engine} (--upstream;" in said
    # the folder's files name no licence: its openness.json's Class I does not hold
    assert rated["license"] is None and rated["openness"]["declared_held"] is False
    assert "--model-card" in rated["openness"]["source"]  # the operator's word, said as such
    assert bare["license"] is None and bare["openness"]["mof_label"] == "Unclassified"
    assert bare["openness"]["open"] is False and "nicht bewertet" in bare["openness"]["source"]


def test_a_model_card_without_upstream_is_refused(model_dir: Path) -> None:
    done = subprocess.run(
        serve_command(str(model_dir), "--model-card", str(model_dir)),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode != 0 and "--model-card" in done.stderr and "--upstream" in done.stderr


def test_the_start_names_each_model_its_device_precision_threads_and_url(
    model_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with started(log, str(model_dir), "--model-name", "amt", "--threads", "1") as url:
        said = log.read_text(encoding="utf-8")
    line = f"Modell amt: transformers auf cpu, fp32, 1 Thread, erreichbar unter {url}"
    assert line in said
    assert "INFO:" not in said  # uvicorn's English start lines would repeat it


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("nicht-da/gateway.db", "--db {path}: keine solche Datenbank"),  # a typo in its name
        ("fehlt/gateway.db", "--db {path}: keine solche Datenbank; der Ordner {folder} existiert"),
        ("nicht-da", "--db {path} ist ein Ordner, keine Datenbank"),  # its folder, not its file
    ],
)
def test_a_database_path_that_does_not_exist_is_refused_before_the_model_loads(
    model_dir: Path, tmp_path: Path, given: str, said: str
) -> None:
    """A typo in --db would otherwise serve from a new, empty database: every request a 401.
    Only where the folder exists is making a database there the hint: the admin commands
    could not make one in a missing folder, nor as a folder."""
    (tmp_path / "nicht-da").mkdir()
    path = tmp_path / given
    done = subprocess.run(
        serve_command(str(model_dir), "--db", str(path)),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert said.format(path=path, folder=path.parent) in done.stderr
    assert ("admin groups add" in done.stderr) == given.startswith("nicht-da/")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "fehlt").exists()  # no folder made, no empty database
    assert not (tmp_path / "nicht-da" / "gateway.db").exists()
