"""Wrong values for every field of a request body, sent over real HTTP, and what was said.

Shared by the sweeps over the completion requests and over the other routes: each field gets a
handful of values of every wrong kind (JSON's true, a float no whole number reads, a text, a
lone surrogate, lists and objects, a number far out of range), in German and in English."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import httpx

WRONG: list[Any] = [True, 1e308, 2.5, "x", "\ud800", [], [True], {}, {"a": [1]}, -1, 10**30]
# What stands in for an error kind the catalogue lacks, and fragments of pydantic's English.
FALLBACK = ("ist kein Wert, den dieses Feld annimmt", "is not a value this field takes")
PYDANTIC = ("Input should", "Unable to", "valid integer", "Value error", "Field required")


@dataclass(frozen=True)
class Said:
    """One answer to a wrong value."""

    field: str
    value: object
    language: str
    status: int
    message: str

    def english(self) -> bool:
        """Whether it holds pydantic's English or the stand-in for a kind the catalogue lacks."""
        return any(words in self.message for words in PYDANTIC + FALLBACK)


def post(http: httpx.Client, path: str, body: object, language: str = "de") -> httpx.Response:
    return http.post(
        path,
        content=json.dumps(body),  # a lone surrogate as \\ud800, as JSON may carry it
        headers={"content-type": "application/json", "accept-language": language},
    )


def with_value(body: dict, field: str, value: object) -> dict:
    """`body` with `field` (dotted for a nested one: `given.0.allowance_tokens`) set to
    `value`."""
    changed = copy.deepcopy(body)
    *outer, last = field.split(".")
    place: Any = changed
    for part in outer:
        place = place[int(part)] if isinstance(place, list) else place[part]
    place[int(last) if isinstance(place, list) else last] = value
    return changed


def sweep(http: httpx.Client, path: str, body: dict, fields: list[str]) -> list[Said]:
    """Every answer to each field's wrong values, in German and English; a value the server
    takes (any answer but a 400) is asked only in German."""
    said: list[Said] = []
    for field in fields:
        for value in WRONG:
            for language in ("de", "en"):
                answer = post(http, path, with_value(body, field, value), language)
                # a refusal's message; another answer (a stream's events) as it came
                refused = answer.status_code == 400
                message = answer.json()["error"]["message"] if refused else answer.text[:300]
                said.append(Said(field, value, language, answer.status_code, message))
                if not refused:
                    break
    return said
