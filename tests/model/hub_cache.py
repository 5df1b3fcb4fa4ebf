"""A model folder put into a Hugging Face cache by huggingface_hub itself: a Hub of our own on
a loopback port serves its files, and `hf_hub_download` (in a process of its own, online)
writes them as it writes any download: `models--org--name/blobs/`, `snapshots/<commit>/`
linked to the blobs, and `refs/main`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI, HTTPException, Response

from tests.http_server import running_server

COMMIT = "0123456789abcdef0123456789abcdef01234567"  # the Hub's revision of every file
DOWNLOAD = """
import sys
from huggingface_hub import hf_hub_download
endpoint, cache, hub_id, *files = sys.argv[1:]
for name in files:
    hf_hub_download(hub_id, name, cache_dir=cache, endpoint=endpoint)
"""


def hub_serving(folder: Path, hub_id: str) -> FastAPI:
    """The Hub's file routes for one repository whose files are those of `folder`."""
    app = FastAPI()

    @app.api_route("/{org}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    def resolve(org: str, name: str, revision: str, path: str) -> Response:
        file = folder / path
        if f"{org}/{name}" != hub_id or revision not in ("main", COMMIT) or not file.is_file():
            raise HTTPException(404)
        body = file.read_bytes()
        headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha256(body).hexdigest()}"'}
        return Response(body, media_type="application/octet-stream", headers=headers)

    return app


def cache_model(folder: Path, hub_id: str, cache: Path, files: list[str] | None = None) -> Path:
    """Download `files` of `folder` (all, by default) as `hub_id` into the Hugging Face cache
    `cache`; returns the snapshot folder huggingface_hub made."""
    names = files or sorted(p.name for p in folder.iterdir() if p.is_file())
    offline = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # either keeps huggingface_hub offline
    environment = {k: v for k, v in os.environ.items() if k not in offline}
    with running_server(hub_serving(folder, hub_id)) as url:
        done = subprocess.run(
            [sys.executable, "-c", DOWNLOAD, url, str(cache), hub_id, *names],
            env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return cache / f"models--{hub_id.replace('/', '--')}" / "snapshots" / COMMIT
