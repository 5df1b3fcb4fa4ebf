"""The shape of the JSON records `verify` reads: which field holds an object, a list, a text,
a number or a truth value. A record whose hashes match may still have been rewritten (with its
MANIFEST, where nothing is signed) to hold a value of another kind; its readers would then
stop on Python's own English error. Checked before any of them runs, such a field is named
with its file, in the reader's language.

Only the fields a reader relies on are declared, and only where present: a field that is
missing is named by its reader, and one an older release did not write is none of this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from gemeingut.i18n import Message, _
from gemeingut.release.layout import AUDIT_REPORT, FINETUNE_RECORD, OPENNESS, RELEASE_INFO


@dataclass(frozen=True)
class Kind:
    """A leaf's kind: what it must be, and how a field that is not is named."""

    holds: Callable[[Any], bool]
    wrong: Callable[[str, str], Message]  # (file, field) → the problem
    null: bool = False  # whether JSON null is allowed too

    def or_null(self) -> Kind:
        return Kind(self.holds, self.wrong, True)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TEXT = Kind(
    lambda v: isinstance(v, str),
    lambda file, field: _("{file}: the field {field!r} is not a text", file=file, field=field),
)
NUMBER = Kind(
    _is_number,
    lambda file, field: _("{file}: the field {field!r} is not a number", file=file, field=field),
)
FLAG = Kind(
    lambda v: isinstance(v, bool),
    lambda file, field: _(
        "{file}: the field {field!r} is not true or false", file=file, field=field
    ),
)
OBJECT = Kind(lambda v: isinstance(v, dict), lambda file, field: _object_wrong(file, field))

# an object's declared fields ("*": every field), a list's items (its one element), or a leaf
Shape: TypeAlias = "Kind | dict[str, Shape] | list[Shape]"

_TEXTS = {"*": TEXT}
_LINEAGE_ENTRY: Shape = {
    "kind": TEXT,
    "id": TEXT,
    "inputs": _TEXTS,
    "params": OBJECT,
    "code": TEXT,
    "created": TEXT,
    "environment": OBJECT,
    "files": _TEXTS,
    "stats": OBJECT.or_null(),
}

SHAPES: dict[str, Shape] = {
    OPENNESS: {
        "open": FLAG,
        "licenses": {"*": TEXT.or_null()},
        "checks": [{"id": TEXT, "passed": FLAG, "evidence": TEXT, "detail": TEXT}],
        "mof": {
            "class": NUMBER.or_null(),
            "label": TEXT,
            "components": [OBJECT],
            "fields_missing": [OBJECT],
        },
        "osaid": {"passed": FLAG, "summary": TEXT, "requirements": OBJECT},
        "mof_document": OBJECT,
    },
    RELEASE_INFO: {
        "name": TEXT,
        "description": TEXT.or_null(),
        "licenses": {"*": TEXT.or_null()},
        "languages": [TEXT],
        "authors": [TEXT],
        "commercial_use": FLAG,
        "treatment": TEXT,
    },
    AUDIT_REPORT: {
        "model": OBJECT,
        "suites": [TEXT],
        "training_data": {"sources": [OBJECT]},
        "tasks": OBJECT.or_null(),
        "bias": OBJECT.or_null(),
        "memorisation": OBJECT.or_null(),
        "redteam": OBJECT.or_null(),
        "command": TEXT,
        "plots": {"*": [TEXT]},
    },
    "training-metadata/lineage.json": {"*": _LINEAGE_ENTRY},
    "training-metadata/training.json": {
        name: OBJECT
        for name in (
            "config",
            "training",
            "seeds",
            "optimizer",
            "batch",
            "data_order",
            "distributed",
            "hardware",
            "flops",
            "throughput",
            "wall_seconds",
            "energy",
            "stats",
        )
    }
    | {"checkpoints": _TEXTS, "snapshots": _TEXTS, "device": TEXT, "precision": TEXT}
    | {"compile": FLAG},
    "training-metadata/evaluation.json": {
        "split": TEXT,
        **{
            name: NUMBER
            for name in ("documents", "tokens", "bytes", "loss", "perplexity", "bits_per_byte")
        },
        "context_length": NUMBER.or_null(),
    },
    FINETUNE_RECORD: {"base_model": OBJECT, "data": OBJECT, "training": OBJECT},
    "training-data/manifest.json": {"files": _TEXTS},
    "training-data/stats.json": {
        "documents_in": NUMBER,
        "kept": NUMBER,
        "excluded": NUMBER,
        "splits": {"*": OBJECT},
        **{
            f"{counted}_by_{what}": {"*": NUMBER}
            for counted, what in [
                ("excluded", "reason"),
                ("excluded", "license"),
                ("excluded", "source"),
                ("kept", "license"),
                ("kept", "source"),
                ("kept", "language"),
                ("excluded_characters", "reason"),
            ]
        },
        "kept_volume": OBJECT,
        "blocks": OBJECT,
        "use_conditions": OBJECT,
    },
}


def shape_problems(rel: str, value: Any) -> list[Message]:
    """Each field of the record `rel` (as `value` holds it) that is not of the kind declared."""
    shape = SHAPES.get(rel)
    return [] if shape is None else _problems(rel, value, shape, "")


def _problems(rel: str, value: Any, shape: Shape, field: str) -> list[Message]:
    if isinstance(shape, Kind):
        fits = shape.holds(value) or (shape.null and value is None)
        return [] if fits else [shape.wrong(rel, field)]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [_("{file}: the field {field!r} is not a list", file=rel, field=field)]
        return [
            p
            for i, item in enumerate(value)
            for p in _problems(rel, item, shape[0], f"{field}[{i}]")
        ]
    if not isinstance(value, dict):
        return [_object_wrong(rel, field)]
    problems = []
    for key, inner in shape.items():
        for name in value if key == "*" else [key] if key in value else []:
            problems.extend(
                _problems(rel, value[name], inner, f"{field}.{name}" if field else name)
            )
    return problems


def _object_wrong(file: str, field: str) -> Message:
    return _("{file}: the field {field!r} is not an object", file=file, field=field)
