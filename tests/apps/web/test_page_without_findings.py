"""A server that collects no reports renders its page, over real HTTP on loopback, without a
notice on reports: no stray "None" where the sentence on what a report becomes would stand."""

from __future__ import annotations

from pathlib import Path

import httpx

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.http_server import running_server


def test_the_page_of_a_server_without_findings_says_no_notice(model_dir: Path) -> None:
    app = create_app(TransformersBackend(model_dir, model_name="winzig"))
    with running_server(app) as url:
        page = httpx.get(url + "/", timeout=30)
    assert page.status_code == 200, page.text
    assert 'id="report"' in page.text  # the form is there, hidden: no report can be sent
    assert "None" not in page.text
    assert 'id="policy-findings"' not in page.text
