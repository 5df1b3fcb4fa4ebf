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
from gemeingut.serve.gateway.identity import (
    add_group,
    add_user,
    authenticate,
    list_users,
    set_user_disabled,
)
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.oidc import OidcSettings, discover
from tests.serve.oidc_provider import CLIENT_ID, Provider, provider_app

Serve = Callable[[FastAPI], AbstractContextManager[str]]
TAB = "marke-dieses-tabs-1234"


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
        oidc = discover(settings(issuer))
        with serve(create_app(backend, gateway=gateway, oidc=oidc)) as url:
            yield url, provider, gateway


def settings(issuer: str) -> OidcSettings:
    return OidcSettings(issuer=issuer, client_id=CLIENT_ID, user_claim="preferred_username")


def sign_in(url: str) -> str:
    """The browser's part: follow the redirects until the page; the fragment it lands on,
    without the tab's mark (checked here)."""
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        landed = browser.get(url + f"/auth/oidc/login?tab={TAB}")
    assert landed.status_code == 200 and landed.url.path == "/"
    fragment = unquote(landed.url.fragment)
    assert fragment.startswith(f"tab={TAB}&")
    return fragment.removeprefix(f"tab={TAB}&")


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
    """Also with an error the provider seemingly sent, and with text that is not ASCII: the
    page gets no tab mark, so it shows nothing (a link cannot put words into it)."""
    url, _provider, gateway = site
    for query in ("code=x&state=y", "error=Bitte%20Passwort%20hier%20eingeben", "state=%C3%A9"):
        landed = httpx.get(
            url + f"/auth/oidc/callback?{query}",
            cookies={"gemeingut_oidc": "abc.d%C3%A9f"},
            follow_redirects=False,
        )
        assert landed.status_code == 302
        assert unquote(landed.headers["location"]).startswith("/#tab=&sso-error=diese Anmeldung")
    started = httpx.get(url + "/auth/oidc/login", follow_redirects=False)  # no tab mark
    assert unquote(started.headers["location"]).startswith("/#tab=&sso-error=")
    statuses = [r["status"] for r in export(gateway.engine) if r["route"] == "/auth/oidc/callback"]
    assert statuses == [403, 403, 403]


def test_an_issuer_with_a_trailing_slash_signs_in(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    """Some providers (Auth0) end their issuer with "/": tokens carry it so."""
    provider = Provider()
    with serve(provider_app(provider)) as issuer:
        provider.issuer = issuer + "/"
        engine = open_store(str(tmp_path / "gateway.db"))
        add_user(engine, "eva")
        oidc = discover(settings(issuer))
        with serve(create_app(backend, gateway=Gateway(engine), oidc=oidc)) as url:
            assert sign_in(url).startswith("key=gg_")


def test_a_wrong_issuer_stops_the_start(site) -> None:
    _url, provider, _gateway = site
    real = provider.issuer
    provider.issuer = real + "/anders"  # its discovery document now names another issuer
    with pytest.raises(InputError, match="nennt den Aussteller"):
        discover(settings(real))
    with pytest.raises(InputError, match="lässt sich nicht lesen"):
        discover(settings(real + "/gibt-es-nicht"))


def test_the_command_line_checks_the_sign_in_options_first(model_dir: Path) -> None:
    from tests.test_cli import invoke

    half = invoke("serve", model_dir, "--oidc-issuer", "https://sso.example")
    assert half.exit_code == 2 and "gehören zusammen" in half.stderr
    lone = invoke("serve", model_dir, "--oidc-groups-claim", "groups")
    assert lone.exit_code == 2 and "braucht --oidc-issuer" in lone.stderr
    unnamed = ("--oidc-issuer", "https://sso.example", "--oidc-client-id", "page")
    no_claim = invoke("serve", model_dir, *unnamed)
    assert no_claim.exit_code == 2 and "--oidc-user-claim" in no_claim.stderr
    both = (*unnamed, "--oidc-user-claim", "sub")
    without_db = invoke("serve", model_dir, *both)
    assert without_db.exit_code == 2 and "braucht --db" in without_db.stderr
    no_secret = invoke("serve", model_dir, *both, "--oidc-client-secret-env", "GIBT_ES_NICHT")
    assert no_secret.exit_code == 2 and "GIBT_ES_NICHT ist nicht gesetzt" in no_secret.stderr


def test_the_providers_groups_claim_decides_memberships_at_each_sign_in(
    tmp_path: Path, backend: TransformersBackend, serve: Serve
) -> None:
    provider = Provider(groups=["amt-it", "gibt-es-hier-nicht"])
    with serve(provider_app(provider)) as issuer:
        provider.issuer = issuer
        engine = open_store(str(tmp_path / "gateway.db"))
        for group in ("amt-it", "schule", "alle"):
            add_group(engine, group)
        add_user(engine, "eva", ("schule",))  # an admin's membership the provider overrides
        gateway = Gateway(engine)
        grouped = OidcSettings(issuer, CLIENT_ID, "preferred_username", groups_claim="groups")
        with serve(create_app(backend, gateway=gateway, oidc=discover(grouped))) as url:

            def groups_after_sign_in() -> tuple[str, str]:
                fragment = sign_in(url)
                [eva] = [u for u in list_users(engine) if u["name"] == "eva"]
                return fragment, ",".join(eva["groups"])

            fragment, groups = groups_after_sign_in()
            assert groups == "amt-it" and fragment.startswith("key=gg_")
            principal = authenticate(engine, fragment.removeprefix("key="))
            assert principal.groups == ("amt-it",)  # quotas of the group apply to the key
            provider.groups = "alle"  # one name instead of a list
            assert groups_after_sign_in()[1] == "alle"
            provider.groups = []
            assert groups_after_sign_in()[1] == ""
            provider.groups = None  # the provider sends no groups: refused, nothing changed
            add_user(engine, "otto", ("schule",))
            provider.user = "otto"
            fragment = sign_in(url)
            assert fragment.startswith("sso-error=") and "„groups“" in fragment
            provider.groups = [1, 2]
            assert "keine Liste" in sign_in(url)
    [otto] = [u for u in list_users(engine) if u["name"] == "otto"]
    assert otto["groups"] == ["schule"]
    statuses = [r["status"] for r in export(engine) if r["route"] == "/auth/oidc/callback"]
    assert statuses == [200, 200, 200, 403, 403]
