"""Writing the rating: `openness.json` (every check) and `mof.yml` (the MOF description)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gemeingut.i18n import Recorded, text
from gemeingut.release.layout import MOF, OPENNESS
from gemeingut.workspace import write_text_atomic


def write_json(path: Path, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def write_rating(folder: Path, rating: dict[str, Any]) -> None:
    write_json(folder / OPENNESS, rating)
    write_text_atomic(folder / MOF, mof_yaml(rating))


def in_language(value: Any, language: str) -> Any:
    """`value` (a rating, or any part of it) with every recorded message said in `language`:
    a rating written for a person (`openness rate --out`), not the record a bundle keeps in
    English."""
    if isinstance(value, Recorded):
        return text(value, language)
    if isinstance(value, dict):
        return {key: in_language(item, language) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [in_language(item, language) for item in value]
    return value


def mof_yaml(rating: dict[str, Any]) -> str:
    return yaml.safe_dump(rating["mof_document"], sort_keys=False, allow_unicode=True, width=100)
