"""Signing in to the page through an OpenID Connect provider (a real one on loopback): the
authorization code flow with PKCE ends with a session key for an existing, enabled user; every
wrong ID token, a foreign sign-in and an unknown user end on the page with a reason, audited."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from fastapi import FastAPI

from gemeingut.errors import InputError
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.gateway.audit_log import export
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_user, set_user_disabled
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.oidc import OidcSettings, discover
from tests.serve.oidc_provider import CLIENT_ID, Provider, provider_app

Serve = Callable[[FastAPI], AbstractContextManager[str]]


@pytest.fixture
def site(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> Iterator[tuple[str, Provider, Gateway]]:
    provider = Provider()
    with serve(provider_app(provider)) as issuer:
        provider.issuer = issuer
        engine = open_store(str(tmp_path / "gateway.db"))
        add_user(engine, "eva")
        gateway = Gateway(engine)
        oidc = discover(OidcSettings(issuer=issuer, client_id=CLIENT_ID))
        with serve(create_app(backend, gateway=gateway, oidc=oidc)) as url:
            yield url, provider, gateway


def sign_in(url: str) -> str:
    """The browser's part: follow the redirects until the page; the fragment it lands on."""
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        landed = browser.get(url + "/auth/oidc/login")
    assert landed.status_code == 200 and landed.url.path == "/"
    return unquote(landed.url.fragment)


def test_a_user_of_the_provider_gets_a_session_key_for_the_api(site) -> None:
    url, _provider, gateway = site
    fragment = sign_in(url)
    assert fragment.startswith("key=gg_")
    key = fragment.removeprefix("key=")
    models = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {key}"})
    assert models.status_code == 200
    [record] = [r for r in export(gateway.engine) if r["route"] == "/auth/oidc/callback"]
    assert (record["status"], record["decision"]) == (200, "allowed")
    assert "eva" not in str(record)  # pseudonymised like every record


@pytest.mark.parametrize("tamper", ["audience", "nonce", "expired", "signature"])
def test_an_id_token_that_does_not_check_out_signs_in_nobody(site, tamper: str) -> None:
    url, provider, gateway = site
    provider.tamper = tamper
    fragment = sign_in(url)
    assert fragment.startswith("sso-error=") and "key=" not in fragment
    statuses = [r["status"] for r in export(gateway.engine) if r["route"] == "/auth/oidc/callback"]
    assert statuses == [403]


def test_only_existing_enabled_users_are_signed_in(site) -> None:
    url, provider, gateway = site
    provider.user = "mallory"
    assert sign_in(url) == (
        "sso-error=mallory hat keinen Zugang zu diesem Server; Administrator:innen legen "
        "Personen mit `gemeingut admin users add` an"
    )
    provider.user = "eva"
    set_user_disabled(gateway.engine, "eva", True)
    assert sign_in(url).startswith("sso-error=eva hat keinen Zugang")


def test_a_callback_without_its_own_sign_in_is_refused(site) -> None:
    url, _provider, _gateway = site
    landed = httpx.get(url + "/auth/oidc/callback?code=x&state=y", follow_redirects=False)
    assert landed.status_code == 302
    assert unquote(landed.headers["location"]).startswith("/#sso-error=diese Anmeldung")


def test_a_wrong_issuer_stops_the_start(site) -> None:
    _url, provider, _gateway = site
    real = provider.issuer
    provider.issuer = real + "/anders"  # its discovery document now names another issuer
    with pytest.raises(InputError, match="nennt den Aussteller"):
        discover(OidcSettings(issuer=real, client_id=CLIENT_ID))
    with pytest.raises(InputError, match="lässt sich nicht lesen"):
        discover(OidcSettings(issuer=real + "/gibt-es-nicht", client_id=CLIENT_ID))


def test_the_command_line_checks_the_sign_in_options_first(model_dir: Path) -> None:
    from tests.test_cli import invoke

    half = invoke("serve", model_dir, "--oidc-issuer", "https://sso.example")
    assert half.exit_code == 2 and "gehören zusammen" in half.stderr
    both = ("--oidc-issuer", "https://sso.example", "--oidc-client-id", "page")
    without_db = invoke("serve", model_dir, *both)
    assert without_db.exit_code == 2 and "braucht --db" in without_db.stderr
    no_secret = invoke("serve", model_dir, *both, "--oidc-client-secret-env", "GIBT_ES_NICHT")
    assert no_secret.exit_code == 2 and "GIBT_ES_NICHT ist leer" in no_secret.stderr
