"""Writing the rating: `openness.json` (every check) and `mof.yml` (the MOF description)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gemeingut.release.layout import MOF, OPENNESS
from gemeingut.workspace import write_text_atomic


def write_json(path: Path, value: Any) -> None:
    write_text_atomic(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def write_rating(folder: Path, rating: dict[str, Any]) -> None:
    write_json(folder / OPENNESS, rating)
    write_text_atomic(folder / MOF, mof_yaml(rating))


def mof_yaml(rating: dict[str, Any]) -> str:
    return yaml.safe_dump(rating["mof_document"], sort_keys=False, allow_unicode=True, width=100)
