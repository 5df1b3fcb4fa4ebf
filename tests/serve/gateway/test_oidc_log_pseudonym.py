"""The server log, which the operator may keep for ever, names a person who signs in through the
identity provider only by their audit pseudonym, and the groups it does not know only by their
count: before, it wrote the user's name and the names of their unknown groups at INFO, while
the audit log beside it was pseudonymised (a real provider on loopback, the real server)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, user_pseudonym_source
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.oidc import OidcSettings, discover
from tests.serve.oidc_provider import CLIENT_ID, Provider, provider_app

Serve = Callable[[FastAPI], AbstractContextManager[str]]
USER = "eva.mustermann"
UNKNOWN = ["personalrat-nord", "schwerbehindertenvertretung"]


def test_a_sign_in_logs_the_pseudonym_and_a_count_not_the_name_or_groups(
    tmp_path: Path, backend: TransformersBackend, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    provider = Provider(user=USER, groups=["amt-it", *UNKNOWN])
    with serve(provider_app(provider)) as issuer:
        provider.issuer = issuer
        engine = open_store(str(tmp_path / "gateway.db"))
        add_group(engine, "amt-it")
        add_user(engine, USER)
        gateway = Gateway(engine)
        grouped = OidcSettings(issuer, CLIENT_ID, "preferred_username", groups_claim="groups")
        with (
            serve(create_app(backend, gateway=gateway, oidc=discover(grouped))) as url,
            caplog.at_level(logging.INFO, logger="gemeingut.serve"),
            httpx.Client(follow_redirects=True, timeout=30) as browser,
        ):
            landed = browser.get(url + "/auth/oidc/login?tab=marke-dieses-tabs-1234")
    assert "key=gg_" in unquote(landed.url.fragment)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "gemeingut.serve")
    pseudonym = gateway.audit.pseudonym(user_pseudonym_source(engine, USER))
    assert f"Anmeldung von Person {pseudonym}: 2 der Gruppen" in logged
    assert USER not in logged and "eva" not in logged
    assert not any(group in logged for group in UNKNOWN)
