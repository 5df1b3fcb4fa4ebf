"""Sign-in to the page through the organisation's identity provider (OpenID Connect).

Staff of a public IT provider already have an account (Keycloak, Entra ID, ADFS …): with
`serve --oidc-issuer URL --oidc-client-id ID --oidc-user-claim CLAIM`, the page offers to sign
in with it. The authorization code flow with PKCE (RFC 7636) runs through the browser; the
server checks the ID token against the keys the provider publishes (signature, issuer,
audience, expiry and the nonce of this very sign-in) and signs in the gemeingut user that one
claim names. That user must exist: admins add users and groups, the provider says who someone
is and, with `--oidc-groups-claim CLAIM`, which groups they belong to: at every sign-in the
user's memberships become those of the claim's groups that exist here (names the provider sends
that are no group here are ignored; an ID token without the claim is refused). The user gets a
session key like any other (it expires, can be revoked, every
use is audited); it reaches the page in the URL's fragment, which a browser never sends to any
server, together with the tab's own one-time mark, so that a link with someone else's key in
it signs nobody in.

The sign-in's state, nonce, PKCE verifier and tab mark wait in a short-lived cookie signed
with a key derived from the client secret: with a secret, any server process can finish a
sign-in; a public client's key belongs to one server (the workers of `serve --workers` share
it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, text
from gemeingut.serve.gateway.identity import (
    authenticate,
    create_key,
    set_memberships,
    user_may_sign_in,
    user_pseudonym_source,
    utcnow,
)
from gemeingut.serve.http_errors import request_language
from gemeingut.serve.secrets import secret_from_environment

COOKIE = "gemeingut_oidc"
COOKIE_PATH = "/auth/oidc"
SIGN_IN_SECONDS = 600  # from leaving for the provider to coming back
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
LEEWAY_SECONDS = 60  # the provider's clock and ours may differ a little
TIMEOUT = 10.0
TAB_MARK = re.compile(r"[A-Za-z0-9_-]{16,64}")
oidc_router = APIRouter(include_in_schema=False)
log = logging.getLogger("gemeingut.serve")


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    user_claim: str
    client_secret: str | None = None
    session_hours: float = 8.0
    redirect_url: str | None = None  # as registered at the provider; default: this server's
    groups_claim: str | None = None  # the ID token's claim listing the user's groups


def oidc_settings(
    issuer: str | None,
    client_id: str | None,
    secret_env: str | None,
    user_claim: str | None,
    redirect_url: str | None,
    groups_claim: str | None = None,
) -> OidcSettings | None:
    """The command line's OIDC options, checked: issuer, client id and user claim together, or
    none; the secret read from the environment (it never goes on a command line)."""
    if issuer is None and client_id is None:
        if groups_claim is not None:
            raise InputError(
                _(
                    "--oidc-groups-claim reads the identity provider's ID token: it needs "
                    "--oidc-issuer"
                ),
                _("pass --oidc-issuer and --oidc-client-id too, or leave it out"),
            )
        return None
    if issuer is None or client_id is None:
        raise InputError(
            _("--oidc-issuer and --oidc-client-id go together"),
            _("pass both, as registered at your identity provider"),
        )
    if not user_claim:
        raise InputError(
            _("--oidc-user-claim is needed: which claim of the ID token names the user"),
            _(
                "`sub` never changes but is an opaque id; `preferred_username` is readable but "
                "only safe where people cannot change it at the provider"
            ),
        )
    secret = None
    if secret_env is not None:
        secret = secret_from_environment(
            secret_env, _("export the client secret in it, or leave --oidc-client-secret-env out")
        )
    return OidcSettings(
        issuer,
        client_id,
        user_claim,
        secret,
        redirect_url=redirect_url,
        groups_claim=groups_claim or None,
    )


@dataclass
class OidcProvider:
    settings: OidcSettings
    issuer: str  # exactly as the provider writes it (ID tokens carry it so)
    authorization_endpoint: str
    token_endpoint: str
    keys: Any  # PyJWKClient: the provider's signing keys, fetched once and cached
    secret: bytes = field(repr=False)

    def redirect_uri(self, request: Request) -> str:
        return self.settings.redirect_url or str(request.url_for("oidc_callback"))


def discover(settings: OidcSettings, cookie_key: bytes | None = None) -> OidcProvider:
    """The provider's endpoints from its discovery document, read at server start: a wrong
    issuer stops the start with a clear error instead of failing each sign-in. A public client
    signs its cookies with `cookie_key`, which the workers of one server share (none: a key of
    this process)."""
    import jwt

    issuer = settings.issuer.rstrip("/")
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
        names = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        found = {name: str(document[name]) for name in names}
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            _(
                "the identity provider's discovery document {url} cannot be read: {error}",
                url=url,
                error=exc,
            ),
            _("check --oidc-issuer: it is the URL the provider names as its issuer"),
        ) from None
    if found["issuer"].rstrip("/") != issuer:
        raise InputError(
            _(
                "{url} names the issuer {found!r}, not {issuer!r}",
                url=url,
                found=found["issuer"],
                issuer=issuer,
            ),
            _("pass exactly the issuer the provider names"),
        )
    key = (settings.client_secret or "").encode() or cookie_key or secrets.token_bytes(32)
    return OidcProvider(
        settings,
        issuer=found["issuer"],
        authorization_endpoint=found["authorization_endpoint"],
        token_endpoint=found["token_endpoint"],
        keys=jwt.PyJWKClient(found["jwks_uri"], cache_keys=True, timeout=int(TIMEOUT)),
        secret=hashlib.sha256(b"gemeingut-oidc" + key).digest(),
    )


@oidc_router.get("/auth/oidc/login", name="oidc_login")
async def oidc_login(request: Request, tab: str = "") -> RedirectResponse:
    """Off to the provider, with a fresh state, nonce and PKCE challenge; `tab` is the page's
    one-time mark, given back with the key so that only the tab that asked takes it."""
    provider: OidcProvider = request.app.state.oidc
    if not TAB_MARK.fullmatch(tab):
        return _to_page(request, "", _("start the sign-in from the page"))
    waiting = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "tab": tab,
        "until": int(time.time()) + SIGN_IN_SECONDS,
    }
    challenge = _b64(hashlib.sha256(waiting["verifier"].encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.settings.client_id,
            "redirect_uri": provider.redirect_uri(request),
            "scope": "openid profile email",
            "state": waiting["state"],
            "nonce": waiting["nonce"],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{provider.authorization_endpoint}?{query}", status_code=302)
    response.set_cookie(
        COOKIE,
        _sign(provider.secret, waiting),
        max_age=SIGN_IN_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@oidc_router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(
    request: Request, code: str | None = None, state: str | None = None, error: str | None = None
) -> RedirectResponse:
    """Back from the provider: check everything, then hand the page a session key."""
    provider: OidcProvider = request.app.state.oidc
    gateway = request.app.state.gateway
    waiting = _unsign(provider.secret, request.cookies.get(COOKIE, ""))
    if waiting is None or not _same(state or "", waiting["state"]):
        await run_in_threadpool(gateway.record, request.url.path, 403, "refused:oidc", None)
        return _to_page(request, "", _("this sign-in was not started here or took too long"))
    try:
        if error:
            raise SignInRefused(
                _("the identity provider refused the sign-in: {error}", error=error)
            )
        if not code:
            raise SignInRefused(_("the identity provider sent no code"))
        person = await run_in_threadpool(_signed_in_person, provider, request, code, waiting)
        key = await run_in_threadpool(_session_key, gateway, provider.settings, person)
    except SignInRefused as refused:
        await run_in_threadpool(gateway.record, request.url.path, 403, "refused:oidc", None)
        return _to_page(request, waiting["tab"], refused.message)

    def record() -> None:
        gateway.record(request.url.path, 200, "allowed", authenticate(gateway.engine, key))

    await run_in_threadpool(record)
    return _to_page(request, waiting["tab"], key=key)


class SignInRefused(Exception):
    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    user: str
    groups: list[str] | None  # None: the provider does not decide groups here


def _signed_in_person(
    provider: OidcProvider, request: Request, code: str, waiting: dict
) -> SignedIn:
    """The code exchanged for the ID token, the token checked, the user's name (and groups)
    read."""
    import jwt

    settings = provider.settings
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": provider.redirect_uri(request),
        "client_id": settings.client_id,
        "code_verifier": waiting["verifier"],
    }
    auth = (settings.client_id, settings.client_secret) if settings.client_secret else None
    try:
        answer = httpx.post(provider.token_endpoint, data=form, auth=auth, timeout=TIMEOUT)
        answer.raise_for_status()
        token = str(answer.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise SignInRefused(
            _("the identity provider gave no ID token: {error}", error=exc)
        ) from None
    try:
        signing_key = provider.keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=settings.client_id,
            issuer=provider.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInRefused(_("the ID token does not check out: {error}", error=exc)) from None
    if not _same(str(claims.get("nonce", "")), waiting["nonce"]):
        raise SignInRefused(_("the ID token belongs to another sign-in (nonce)"))
    user = claims.get(settings.user_claim)
    if not isinstance(user, str) or not user:
        raise SignInRefused(
            _("the ID token names no user in its claim {claim!r}", claim=settings.user_claim)
        )
    return SignedIn(user, _groups(claims, settings.groups_claim))


def _groups(claims: dict[str, Any], claim: str | None) -> list[str] | None:
    """The group names of the claim (a list of names, or one name); None without the option."""
    if claim is None:
        return None
    value = claims.get(claim)
    if value is None:
        raise SignInRefused(
            _(
                "the ID token has no claim {claim!r}, which --oidc-groups-claim names; the "
                "provider must put the groups in the ID token",
                claim=claim,
            )
        )
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SignInRefused(
            _("the ID token's claim {claim!r} is not a list of group names", claim=claim)
        )
    return names


def _session_key(gateway, settings: OidcSettings, person: SignedIn) -> str:
    user = person.user
    if not user_may_sign_in(gateway.engine, user):
        raise SignInRefused(
            _(
                "{user} has no access to this server; an administrator adds users with "
                "`gemeingut admin users add`",
                user=user,
            )
        )
    if person.groups is not None:
        unknown = set_memberships(gateway.engine, user, person.groups)
        if unknown:
            _log_unknown_groups(gateway, user, len(unknown))
    until = utcnow() + timedelta(hours=settings.session_hours)
    return create_key(gateway.engine, user, name="page sign-in (OIDC)", expires_at=until)[1]


def _log_unknown_groups(gateway, user: str, count: int) -> None:
    """Say in the server log that the provider named groups that do not exist here, so that
    an operator can create missing ones. The server log is kept as long as the operator likes
    and is not covered by the audit log's retention, so it names the person only by their
    audit pseudonym (`admin audit` finds their records by it) and gives the count of unknown
    groups, not their names: group names are organisational, but the set of groups a
    pseudonym belongs to can single out a person (a team of one, the staff council), and the
    operator reads which groups the provider sends at the provider itself."""
    pseudonym = gateway.audit.pseudonym(user_pseudonym_source(gateway.engine, user))
    said = _(
        "sign-in of user {pseudonym}: {count} of the groups the identity provider names are "
        "no groups here",
        pseudonym=pseudonym,
        count=count,
    )
    log.info("%s", text(said))


def _to_page(
    request: Request, tab: str, refusal: Message | None = None, key: str | None = None
) -> RedirectResponse:
    """Back to the page with the key, or the reason there is none, and the tab's mark."""
    parts = {"tab": tab}
    if key is not None:
        parts["key"] = key
    else:
        parts["sso-error"] = text(refusal or _("sign-in refused"), request_language(request))
    fragment = "&".join(f"{name}={quote(value, safe='')}" for name, value in parts.items())
    response = RedirectResponse(f"/#{fragment}", status_code=302)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison that refuses, instead of failing on, any text."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _sign(secret: bytes, value: dict) -> str:
    body = _b64(json.dumps(value, separators=(",", ":")).encode())
    return f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"


def _unsign(secret: bytes, cookie: str) -> dict | None:
    """The waiting sign-in from its cookie; None for a missing, forged or expired one."""
    body, _sep, signature = cookie.partition(".")
    expected = _b64(hmac.new(secret, body.encode("utf-8", "replace"), hashlib.sha256).digest())
    if not body or not _same(signature, expected):
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("until"), int):
        return None
    return value if value["until"] >= time.time() else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
