"""The office that the applications' limit tests serve: group `amt` in a real SQLite gateway,
its people with a key each, a collection `amt` of one memo, and the tiny model behind the
gateway on loopback. One place for it, so that the tests differ only where they mean to: who
works there, what the memo says (its tokens count against the limits), whether the server
waits out a minute (`ShortWaits`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store
from tests.apps.short_waits import ShortWaits
from tests.http_server import running_server

MEMO = """# Richtlinie mobiles Arbeiten

## Pauschale

Für mobiles Arbeiten zahlt die Stadt eine Pauschale von 25 Euro monatlich bei Vollzeit.
"""


@dataclass
class OfficeServer:
    """The served office; a test's own subclass adds what it asks of it."""

    url: str
    store: object
    keys: dict[str, tuple[str, str]]  # each person's key id and key
    root: Path  # the collections' folder (`--root`): `amt`, where a memo was given
    waits: ShortWaits | None  # the wrapper around the app, where asked for

    def post(
        self, path: str, body: dict, user: str = "anna", language: str | None = None
    ) -> httpx.Response:
        """`body` posted to `path` with `user`'s key (in `language`, where one is given)."""
        headers = {"authorization": f"Bearer {self.keys[user][1]}"}
        if language is not None:
            headers["accept-language"] = language
        return httpx.post(f"{self.url}{path}", json=body, headers=headers, timeout=300)


Served = TypeVar("Served", bound=OfficeServer)


@contextmanager
def office_server(
    model_dir: Path,
    folder: Path,
    kind: type[Served] = OfficeServer,
    *,
    users: Sequence[str] = ("anna",),
    memo: str | None = MEMO,
    short_waits: bool = False,
) -> Iterator[Served]:
    """The office in `folder` as a `kind`, served until the block ends. With a `memo`, it is
    docs/mobil.md of collection `amt` (group `amt`), searchable on the server too; with
    `short_waits`, the app stands behind `ShortWaits` for the first of `users`."""
    store = open_store(str(folder / "gateway.db"))
    add_group(store, "amt")
    keys = {}
    for user in users:
        add_user(store, user, ("amt",))
        keys[user] = create_key(store, user)
    root = folder / "collections"
    if memo is not None:
        (folder / "docs").mkdir()
        (folder / "docs" / "mobil.md").write_text(memo, encoding="utf-8")
        ingest(root, "amt", [folder / "docs"], groups=["amt"])
    backend = TransformersBackend(model_dir, model_name="winzig")
    app = create_app(backend, gateway=Gateway(store), collections=None if memo is None else root)
    waits = ShortWaits(app, store, users[0]) if short_waits else None
    with running_server(waits or app) as url:  # type: ignore[arg-type]
        yield kind(url, store, keys, root, waits)
