"""The page says when the day's tokens start afresh in the server's local time with its zone
(„01:00 Uhr (MEZ)“, "01:00 (CET)"), computed when the page is rendered, not "00:00 UTC": the
allowance resets by the server's clock, whatever zone the reader's browser is in. Real HTTP:
the texts the page's script shows, as the server sends them with the page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.http_server import running_server
from tests.server_zone import berlin, reset_said  # noqa: F401 (a fixture)

TEXTS = re.compile(r'<script id="texts" type="application/json">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def url(model_dir: Path) -> Iterator[str]:
    with running_server(create_app(TransformersBackend(model_dir, model_name="winzig"))) as served:
        yield served


def _texts(url: str, language: str) -> dict:
    page = httpx.get(f"{url}/?lang={language}", timeout=30)
    assert page.status_code == 200
    found = TEXTS.search(page.text)
    assert found is not None, "the page holds its texts"
    return json.loads(found[1])


@pytest.mark.usefixtures("berlin")
def test_the_page_says_the_daily_reset_in_the_servers_local_time(url: str) -> None:
    german, english = _texts(url, "de"), _texts(url, "en")
    assert (
        german["allowance_renewed"] == f"Die Tokens des Tages beginnen um {reset_said('de')} neu."
    )
    assert english["allowance_renewed"] == (f"The day's tokens start afresh at {reset_said('en')}.")
    assert german["quota_day_wait"] == (
        "{allowance} reicht für diese Anfrage nicht ({taken} von {limit} Tokens heute "
        f"verbraucht); es gilt wieder ab {reset_said('de')} – wenden Sie sich sonst an die "
        "Administration."
    )
    assert english["quota_day_wait"].endswith(
        f"it is renewed at {reset_said('en')} – otherwise contact your administration."
    )
    assert not any(
        "UTC" in said for said in (*german.values(), *english.values()) if isinstance(said, str)
    )
