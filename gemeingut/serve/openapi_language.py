"""The API's description (`/openapi.json`) in the reader's language: German by default.

FastAPI writes the description from the code, in English: the routes' docstrings and
summaries, the schemas' field titles and descriptions, the answers' descriptions. Every such
text is looked up in the catalogue as it stands (a msgid like any `_("…")`), for each language
once per app; structure, names and example values stay as they are. `make messages` adds the
texts to the catalogue (`python -m gemeingut.serve.openapi_language POT`), read from the
description of an app built without a model, so a new docstring or field needs its German as
a new message does.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from gemeingut.i18n import translations
from gemeingut.i18n.template import add_to_template

WORDS = ("summary", "description", "title")  # the keys whose text a person reads
# Values, not words: a field's example or default is data a client sends as it stands.
VALUES = frozenset({"example", "examples", "default", "enum", "const"})
# Maps whose keys are names (a field called `default` is no default): components.schemas by
# class name, a schema's fields, the paths and their answers.
NAMED = frozenset({"schemas", "properties", "paths", "responses"})


def places(description: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Where `description` holds a text a person reads: (the object, its key). Names are left
    out: the API's own (`info.title`) and each schema's under `components.schemas` (a class
    name, the key by which the description refers to it)."""
    yield from (
        (node, key)
        for node, key in _places(description)
        if not (node is description.get("info") and key == "title")
    )


def _places(node: Any, name: str | None = None) -> Iterator[tuple[dict[str, Any], str]]:
    if isinstance(node, list):
        for item in node:
            yield from _places(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in WORDS and isinstance(value, str):
            if not (key == "title" and value == name):
                yield node, key
        elif key in NAMED and isinstance(value, dict):  # its keys are names, not keywords
            for item_name, item in value.items():
                yield from _places(item, item_name if key == "schemas" else None)
        elif key not in VALUES:
            yield from _places(value)


def texts(description: dict[str, Any]) -> list[str]:
    """Every text a person reads in `description`, once each, in order."""
    return list(dict.fromkeys(node[key] for node, key in places(description)))


def translated(description: dict[str, Any], language: str) -> dict[str, Any]:
    """A copy of `description` with its texts in `language` (English: as written); a text the
    catalogue lacks stays English (the test of the catalogue says which)."""
    catalogue = translations(language)
    copied = copy.deepcopy(description)
    for node, key in places(copied):
        node[key] = catalogue.get(node[key], node[key])
    return copied


def described_in(app: FastAPI, language: str) -> dict[str, Any]:
    """`app.openapi()` in `language`, made once per app and language (FastAPI keeps the
    English one): the pages of /docs ask for it at every visit."""
    made: dict[str, dict[str, Any]] | None = getattr(app.state, "openapi_languages", None)
    if made is None:
        made = app.state.openapi_languages = {}
    if language not in made:
        made[language] = translated(app.openapi(), language)
    return made[language]


def openapi_texts() -> list[str]:
    """The texts of the API's description as any server describes it: every route (the
    routes are the same with any model) and the API key of a server that checks keys."""
    from gemeingut.serve.app import create_app
    from gemeingut.serve.openapi_security import declare_api_keys

    app = create_app(_NoModel(), page=False)  # type: ignore[arg-type]  # only described
    declare_api_keys(app, [])  # the key's scheme, without naming it on a route
    return texts(app.openapi())


class _NoModel:
    """What `create_app` reads of a backend to describe the routes; nothing is ever asked."""

    model_name = "model"


if __name__ == "__main__":
    add_to_template(Path(sys.argv[1]), openapi_texts())
