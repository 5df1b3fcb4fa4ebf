"""An OpenAI-compatible endpoint as the collections use it: a key, JSON calls, our errors.

Both the embedder (`/v1/embeddings`) and answering (`/v1/chat/completions`, `/tokenize`) talk
to such an endpoint; a failure is an `InputError` saying which endpoint and what to check.
"""

from __future__ import annotations

from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _


class Endpoint:
    def __init__(self, base_url: str, api_key: str | None, role: str) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.role = role  # "embedding" or "chat": named in errors
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=300)

    def call(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        """The JSON answer of a 200, else an `InputError`."""
        import httpx

        try:
            response = self.client.request(method, path, json=body)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self.unreachable(exc) from exc
        if response.status_code != 200:
            raise InputError(
                _(
                    "{url} answered {status}: {body}",
                    url=self.base_url + path,
                    status=str(response.status_code),
                    body=response.text[:300],
                ),
                _("check the model id and the key (GEMEINGUT_API_KEY)"),
            )
        return data

    def first_model(self, option: str) -> str:
        models = self.call("GET", "/models").get("data") or []
        if not models:
            raise InputError(
                _("{url}/models lists no model", url=self.base_url),
                _("pass {option}", option=option),
            )
        return str(models[0]["id"])

    def unreachable(self, exc: Exception) -> InputError:
        return InputError(
            _(
                "the endpoint {url} cannot be reached: {problem}",
                url=self.base_url,
                problem=str(exc),
            ),
            _("start the server (gemeingut serve), or check the URL"),
        )

    def close(self) -> None:
        self.client.close()
