"""Where `openness.json` or `mof.yml` differs from the rating this version computes from the
bundle's files, said so that an auditor can read it: which field (by its name, its key path in
parentheses), what the document says, what the files give, and why it matters where the field
carries a licence or a verdict. `path "a" ≠ "b"` names a key, but not what it means."""

from __future__ import annotations

import re
from typing import Any

from gemeingut.i18n import Message, _, quoted
from gemeingut.release.differences import (
    NONE,
    SHOWN,
    VALUE_CHARS,
    json_places,
    shown,
    shown_pair,
)

_TERMS = _("it sets the terms of every use")
_WHERE = _("from it every user learns where the licence is written")
_VERDICT = _("the card's openness paragraph and the indices rest on it")

_PARTS = {
    "distribution": (_("the licence of the weights"), _("the licence file of the weights")),
    "code": (_("the licence of the code"), _("the file that declares the code's licence")),
    "data": (_("the licence of the data"), _("the place of the data's licences")),
    "document": (
        _("the licence of the documentation"),
        _("the file that declares the documentation's licence"),
    ),
}
# The MOF description's fields (`mof.yml`'s `release`, `openness.json`'s `mof_document.release`)
_MOF_FIELDS: dict[str, tuple[Message, Message | None]] = {
    "name": (_("the model's name"), None),
    "type": (_("the model's type"), None),
    "architecture": (_("the model's architecture"), None),
    "treatment": (_("the model's treatment (pre-trained or fine-tuned)"), None),
    "producer": (_("the model's producer"), None),
    "contact": (_("the contact for the model"), None),
    "version": (_("the model's version"), None),
    **{f"license.{kind}.name": (names[0], _TERMS) for kind, names in _PARTS.items()},
    **{f"license.{kind}.path": (names[1], _WHERE) for kind, names in _PARTS.items()},
}
# `openness.json`'s own keys beside the MOF description
_RATING_FIELDS: dict[str, tuple[Message, Message | None]] = {
    "open": (_("the verdict open or not open"), _VERDICT),
    "licenses.weights": (_PARTS["distribution"][0], _TERMS),
    "licenses.code": (_PARTS["code"][0], _TERMS),
    "licenses.data": (_("the licence of the training and test data"), _TERMS),
    "licenses.test_data": (_("the licence of the test data"), _TERMS),
    "licenses.documents": (_PARTS["document"][0], _TERMS),
    "mof.class": (_("the MOF class"), _VERDICT),
    "mof.label": (_("the MOF class"), _VERDICT),
    "mof.conditional": (_("whether the MOF class is met only on condition"), _VERDICT),
    "osaid.passed": (_("the verdict of the OSAID gate"), _VERDICT),
}
_COMPONENT = re.compile(r"components\[(\d+)\]\.(license|component_path)")


def field_problems(file: str, shipped: Any, computed: Any) -> list[Message]:
    """Each of the first places where `shipped` (the document as the bundle holds it) differs
    from `computed` (the rating of the files), said in words: `mof.yml`'s description, or
    `openness.json`'s keys (its `mof_document` is the same description)."""
    return [
        _said(file, where, first, second, computed)
        for where, first, second in json_places(shipped, computed, SHOWN)
    ]


def _said(file: str, where: str, shipped: Any, computed: Any, rating: Any) -> Message:
    field, why = _field(where, rating)
    first, second = _values(shipped, computed)
    values = {"file": file, "field": field, "key": where, "shipped": first, "computed": second}
    if why is None:
        return _(
            "{file}: {field} is {shipped}; computed again from the bundle's files: {computed} "
            "({key})",
            **values,
        )
    return _(
        "{file}: {field} is {shipped}; computed again from the bundle's files: {computed} "
        "({key}); {why}",
        why=why,
        **values,
    )


def _field(where: str, rating: Any) -> tuple[Message, Message | None]:
    """The field at `where` by its name (and why it matters), or by its key path."""
    if where.startswith(("release.", "mof_document.release.")):
        inner = where.removeprefix("mof_document.").removeprefix("release.")
        if inner in _MOF_FIELDS:
            return _MOF_FIELDS[inner]
        component = _COMPONENT.fullmatch(inner)
        if component is not None:
            name = _component_name(rating, int(component.group(1))) or where
            if component.group(2) == "license":
                return _("the licence of the component {name!r}", name=name), _TERMS
            return _("the files of the component {name!r}", name=name), None
    if where in _RATING_FIELDS:
        return _RATING_FIELDS[where]
    return _("the field {key}", key=where), None


def _component_name(rating: Any, index: int) -> str | None:
    """The component's name as the rating of the files gives it at that place."""
    document = rating.get("mof_document", rating) if isinstance(rating, dict) else None
    try:
        return str(document["release"]["components"][index]["name"])  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return None


def _values(shipped: Any, computed: Any) -> tuple[Message | str | int | float, ...]:
    """Both values as a person reads them: a name in the quotes of their language, a number
    as they write it, yes or no, nothing where the document has no such field; anything else
    as JSON, a long value by the same window of each around where they differ."""
    simple = [_simple(value) for value in (shipped, computed)]
    if all(said is not None for said in simple):
        return tuple(simple)  # type: ignore[arg-type]
    if shipped is NONE or computed is NONE:
        pairs = zip(simple, (shipped, computed), strict=True)
        return tuple(shown(value) if said is None else said for said, value in pairs)
    return shown_pair(shipped, computed)


def _simple(value: Any) -> Message | int | float | None:
    if value is NONE or value is None or value in ("", []):
        return _("nothing")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and len(value) <= VALUE_CHARS:
        return quoted([value])
    return None
