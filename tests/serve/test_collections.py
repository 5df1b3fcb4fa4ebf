"""`/v1/collections` over real HTTP: a collection is seen and searched only with a key of one
of its groups; for others it does not exist; searches are audited without their question;
dense search runs on the served model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store

Serve = Callable[[FastAPI], AbstractContextManager[str]]
QUESTION = "Frist für Angebote"


@pytest.fixture
def collections(tmp_path: Path, model_dir: Path) -> Path:
    root = tmp_path / "collections"
    for name, group, text in (
        ("vergabe", "einkauf", "Die Frist für Angebote beträgt dreißig Tage."),
        ("personal", "personalamt", "Die Frist für Bewerbungen endet am Monatsende."),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "notiz.txt").write_text(text, encoding="utf-8")
        ingest(root, name, [folder], groups=[group], embed=EmbedderSpec(str(model_dir)))
    return root


@pytest.fixture
def governed(
    tmp_path: Path, collections: Path, backend: TransformersBackend, serve: Serve
) -> Iterator[tuple[str, Gateway, dict[str, str]]]:
    engine, keys = staff(tmp_path)
    gateway = Gateway(engine)
    with serve(create_app(backend, gateway=gateway, collections=collections)) as url:
        yield url, gateway, keys


def staff(tmp_path: Path) -> tuple[Engine, dict[str, str]]:
    """eva of the group einkauf and paul of personalamt, each with a key."""
    engine = open_store(str(tmp_path / "gateway.db"))
    keys = {}
    for user, group in (("eva", "einkauf"), ("paul", "personalamt")):
        add_group(engine, group)
        add_user(engine, user, (group,))
        keys[user] = create_key(engine, user)[1]
    return engine, keys


def get(url: str, key: str | None, path: str = "/v1/collections") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(url + path, headers=headers, timeout=30)


def search(url: str, key: str | None, name: str, **body) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(
        f"{url}/v1/collections/{name}/search",
        json={"query": QUESTION, **body},
        headers=headers,
        timeout=60,
    )


def test_a_collection_of_one_group_is_invisible_to_another(governed) -> None:
    url, gateway, keys = governed
    assert [c["id"] for c in get(url, keys["eva"]).json()["data"]] == ["vergabe"]
    assert [c["id"] for c in get(url, keys["paul"]).json()["data"]] == ["personal"]
    found = search(url, keys["eva"], "vergabe")
    assert found.status_code == 200, found.text
    assert found.json()["data"][0]["document"] == "vergabe/notiz.txt"
    hidden = search(url, keys["eva"], "personal")
    missing = search(url, keys["eva"], "gibt-es-nicht")
    assert hidden.status_code == missing.status_code == 404  # alike: the name stays secret
    assert hidden.json()["error"]["message"] == "keine Sammlung „personal“"
    english = httpx.post(
        f"{url}/v1/collections/personal/search",
        json={"query": QUESTION},
        headers={"Authorization": f"Bearer {keys['eva']}", "Accept-Language": "en-GB,en"},
        timeout=60,
    )
    assert english.json()["error"]["message"] == "no collection 'personal'"
    assert get(url, None).status_code == 401
    records = list(export(gateway.engine))
    decisions = [(r["route"], r["status"], r["decision"]) for r in records]
    assert ("/v1/collections/vergabe/search", 200, "allowed") in decisions
    assert ("/v1/collections/personal/search", 404, "scope:collection") in decisions
    assert QUESTION not in str(records)  # the question is content: never logged


def test_dense_search_of_the_served_models_vectors_uses_that_model(
    collections: Path, model_dir: Path, serve: Serve
) -> None:
    from gemeingut.apps.rag.embedders import LocalEmbedder

    served = TransformersBackend(model_dir, model_name=model_dir.resolve().name)
    app = create_app(served, collections=collections)
    with serve(app) as url:
        dense = search(url, None, "personal", mode="dense", k=3)
        assert dense.status_code == 200, dense.text
        assert [h["rank"] for h in dense.json()["data"]] == [1]
        embedder = app.state.collections.get("personal")._embedder
        assert isinstance(embedder, LocalEmbedder) and embedder.backend is served
        long = search(url, None, "personal", mode="dense", query="Frist " * 600)
        assert long.status_code == 200, long.text  # cut to the context, not refused
        bad = search(url, None, "personal", mode="quer")
        assert bad.status_code == 400


def test_an_open_loopback_server_shows_every_collection(
    collections: Path, backend: TransformersBackend, serve: Serve
) -> None:
    with serve(create_app(backend, collections=collections)) as url:
        assert [c["id"] for c in get(url, None).json()["data"]] == ["personal", "vergabe"]
    with serve(create_app(backend)) as url:
        assert get(url, None).status_code == 404


def test_a_cited_pdf_page_is_shown_as_an_image_to_its_groups_only(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """The source of a PDF passage names its page image; the image is that page, rendered
    from the collection's copy; another group, another document kind or page get a 404."""
    from io import BytesIO

    from PIL import Image

    from tests.apps.rag.documents import PAGES, write_pdf

    folder = tmp_path / "akten"
    folder.mkdir()
    write_pdf(folder / "leitfaden.pdf")
    (folder / "notiz.txt").write_text("Eine Notiz zur Frist.", encoding="utf-8")
    root = tmp_path / "collections"
    ingest(root, "akten", [folder], groups=["einkauf"])
    engine, keys = staff(tmp_path)
    with serve(create_app(backend, gateway=Gateway(engine), collections=root)) as url:
        source_path = "/v1/collections/akten/source?document=akten/leitfaden.pdf&page=2"
        source = get(url, keys["eva"], source_path)
        assert source.status_code == 200, source.text
        image_path = source.json()["page_image"]
        assert (
            image_path == "/v1/collections/akten/page-image?document=akten%2Fleitfaden.pdf&page=2"
        )
        shown = get(url, keys["eva"], image_path)
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
        width, height = Image.open(BytesIO(shown.content)).size
        assert width == 1000 and abs(height / width - 297 / 210) < 0.01  # an A4 page
        asked = f"{source_path}&passage={quote(PAGES[1])}"
        [(left, top, width, height)] = get(url, keys["eva"], asked).json()["page_marks"]
        assert 0 < left < 0.2 and 0 < top < 0.1 and 0.3 < width < 1 and 0 < height < 0.05
        elsewhere = get(url, keys["eva"], f"{source_path}&passage={quote(PAGES[0])}")
        assert elsewhere.json()["page_marks"] == []  # that passage stands on page 1
        note = get(url, keys["eva"], "/v1/collections/akten/source?document=akten/notiz.txt")
        assert note.json()["page_image"] is None
        for key, path, expected in (
            (keys["paul"], image_path, "keine Sammlung"),
            (
                keys["eva"],
                image_path.replace("page=2", "page=4"),
                "leitfaden.pdf hat keine Seite 4",
            ),
            (
                keys["eva"],
                "/v1/collections/akten/page-image?document=akten/notiz.txt&page=1",
                "PDF",
            ),
        ):
            refused = get(url, key, path)
            assert refused.status_code == 404 and expected in refused.json()["error"]["message"]
        readings = [r for r in export(engine) if r["route"].endswith("/page-image")]
    assert [r["status"] for r in readings] == [200, 404, 404, 404]


def test_a_collection_of_older_readers_is_refused_until_ingested_again(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """Its chunks name a PDF's sheets and a section's nearest heading: a source, page image
    or search would show another page than cited, so each is a 409 saying to ingest again,
    and audited; after the ingest the page cited is the page printed."""
    from tests.apps.rag.documents import LABELLED, write_hundesteuer_odt, write_labelled_pdf
    from tests.apps.rag.older_collections import as_stored_by_older_readers

    folder = tmp_path / "akten"
    folder.mkdir()
    write_labelled_pdf(folder / "satzung.pdf")  # sheets i, ii, 1, 2
    write_hundesteuer_odt(folder / "hundesteuer.odt")
    root = tmp_path / "collections"
    ingest(root, "akten", [folder], groups=["einkauf"])
    as_stored_by_older_readers(root / "akten", {"akten/satzung.pdf": LABELLED})
    engine, keys = staff(tmp_path)
    section = quote("Satzung über die Hundesteuer › § 2 Steuersatz")
    asked = (
        "/v1/collections/akten/source?document=akten/satzung.pdf&page=1",
        "/v1/collections/akten/page-image?document=akten/satzung.pdf&page=1",
        f"/v1/collections/akten/source?document=akten/hundesteuer.odt&section={section}",
    )
    with serve(create_app(backend, gateway=Gateway(engine), collections=root)) as url:
        for path in asked:
            refused = get(url, keys["eva"], path)
            assert refused.status_code == 409, refused.text
            error = refused.json()["error"]
            assert error["code"] == "collection_outdated"
            assert error["message"].startswith("die Sammlung „akten“ muss neu aufgenommen werden")
        assert search(url, keys["eva"], "akten").status_code == 409
        assert get(url, keys["paul"], asked[0]).status_code == 404  # another group's: unnamed
        ingest(root, "akten", [folder])
        for path in asked:
            assert get(url, keys["eva"], path).status_code == 200
        shown = get(url, keys["eva"], asked[0]).json()
        assert shown["text"] == LABELLED[2]  # printed page 1 is the third sheet
    decisions = [(r["status"], r["decision"]) for r in export(engine)]
    assert decisions.count((409, "collection_outdated")) == 4
