"""A small OpenID Connect provider for the tests, served over real HTTP on loopback: discovery,
an authorization endpoint that signs in `provider.user` at once, a token endpoint that checks
the PKCE verifier and issues an RS256 ID token (with a `groups` claim where `provider.groups`
is set), and its JWKS. `provider.tamper` makes the next ID token wrong in one way (audience,
nonce, signature, expiry)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

CLIENT_ID = "gemeingut-page"


@dataclass
class Provider:
    issuer: str = ""
    user: str = "eva"
    tamper: str | None = None
    groups: object = None  # the ID token's `groups` claim, left out while None
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, dict] = field(default_factory=dict)


def provider_app(provider: Provider) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict:
        base = provider.issuer.rstrip("/")
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks",
        }

    @app.get("/authorize")
    def authorize(
        client_id: str, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> RedirectResponse:
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "nonce": nonce,
            "challenge": code_challenge,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/token")
    async def token(request: Request) -> dict:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        code, code_verifier = form.get("code", ""), form.get("code_verifier", "")
        redirect_uri = form.get("redirect_uri", "")
        granted = provider.codes.pop(code, None)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if granted is None or granted["challenge"] != challenge:
            raise HTTPException(400, "invalid_grant")
        if granted["redirect_uri"] != redirect_uri:
            raise HTTPException(400, "redirect_uri differs")
        now = int(time.time())
        claims = {
            "iss": provider.issuer,
            "aud": granted["client_id"],
            "sub": f"sub-{provider.user}",
            "preferred_username": provider.user,
            "nonce": granted["nonce"],
            "iat": now,
            "exp": now + 300,
        }
        if provider.groups is not None:
            claims["groups"] = provider.groups
        key = provider.key
        if provider.tamper == "audience":
            claims["aud"] = "another-client"
        elif provider.tamper == "nonce":
            claims["nonce"] = "from-another-sign-in"
        elif provider.tamper == "expired":
            claims["exp"] = now - 60
        elif provider.tamper == "signature":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        return {"access_token": "unused", "token_type": "Bearer", "id_token": id_token}

    @app.get("/jwks")
    def jwks() -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    return app
