"""Rating a model folder that gemeingut did not build: a Hugging Face folder, or a fine-tune of
one, with whatever it holds (card, licence, config, weights, papers, data, code).

Only what is in the folder counts. The card's YAML header gives the licence (`license`; for
`other`, its `license_name`; without one, a LICENSE file whose text we recognise) and the
evaluation results (`model-index`); a card section about the training data with some substance
counts as the data card, unless it says the data is withheld; an arXiv link as a paper whose
licence is unknown (so not open). A Hugging Face cache snapshot's links into its `blobs` are
its files. A model type that transformers implements has its
architecture in transformers (Apache-2.0); remote code (`auto_map`) is the folder's own `.py`
files, under the card's licence. The result says, per class, what is missing or not openly
licensed: what a procurement officer has to ask the publisher for.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.base_model import licence_file
from gemeingut.release.openness.licences import content_licence
from gemeingut.release.openness.mof import Component, Found, components, found
from gemeingut.release.openness.result import assemble, check, osaid_gate

TRANSFORMERS_LICENCE = "Apache-2.0"
CARD = "README.md"
_DATA_HEADING = re.compile(
    r"^#{1,4}\s*(training data|training datasets?|datasets?|data|trainingsdaten|daten)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ANY_HEADING = re.compile(r"^#{1,4}\s", re.MULTILINE)
_ARXIV = re.compile(r"https?://arxiv\.org/(?:abs|pdf)/\d{4}\.\d{4,5}", re.IGNORECASE)
_MIN_SECTION_CHARS = 200  # a heading with a line under it does not document the data
# A data section that says the data is kept back describes no data (the OSAID asks for
# information sufficient to rebuild a like dataset).
_WITHHELD = re.compile(
    r"\b(not (be )?(publicly )?(disclosed|released|shared|published|made available)|"
    r"(will|can|do|does) not (disclose|release|share|publish)|undisclosed|withheld|"
    r"proprietary|confidential|"
    r"nicht (öffentlich|offengelegt|veröffentlicht|bekannt ?gegeben|zugänglich|geteilt)|"
    r"nicht offen ?gelegt|vertraulich|geheim|proprietär)",
    re.IGNORECASE,
)
# Folder entries (globs) that stand for a component when present.
_FILES: dict[str, tuple[str, ...]] = {
    "Model parameters (Final)": ("*.safetensors", "pytorch_model*.bin", "*.gguf"),
    "Model parameters (Intermediate)": ("checkpoints/*", "snapshots/*", "checkpoint-*/*"),
    "Model metadata": ("trainer_state.json", "training_args.*", "training_config*.*"),
    "Datasets": ("data/train*", "training-data/*", "data/*.parquet", "data/*.jsonl"),
    "Data card": ("DATA_STATEMENT.md", "DATASHEET.md", "data_card.md"),
    "Technical report": ("TECHNICAL_REPORT.md", "technical_report*.pdf", "*tech*report*.pdf"),
    "Research paper": ("paper/*", "*.pdf"),
    "Training code": ("train*.py", "training-code/*", "scripts/train*.py"),
    "Data preprocessing code": ("preprocess*.py", "data_prep*.py", "scripts/prepare*.py"),
    "Evaluation code": ("eval*.py", "scripts/eval*.py"),
    "Evaluation data": ("test-data/*", "data/test*", "eval_data/*"),
    "Inference code": ("inference*.py", "generate*.py", "serve*.py"),
    "Supporting libraries and tools": ("requirements*.txt", "environment.yml", "*.lock"),
    "Sample model outputs": ("samples/*", "outputs/*"),
}


def rate_folder(
    folder: Path, files: list[str] | None = None, name: str | None = None
) -> dict[str, Any]:
    """The openness result of a foreign model folder (same shape as a bundle's). `files`: the
    relative paths the model's folder holds, where `folder` is a copy of only its card, config
    and licence files (a fine-tune's bundle describes its base so); `name`: the model's name
    where its card names none."""
    if not folder.is_dir():
        raise InputError(
            _("{path} is not a folder", path=str(folder)),
            _("pass a model folder (config.json, weights, README.md)"),
        )
    listing = files if files is not None else _files_below(folder)
    card_text, header = _card(folder)
    licence, licence_source = _licence(header, folder)
    config = _config(folder)
    parts = [_component(c, listing, card_text, header, config, licence) for c in components()]
    by_name = {p.component.name: p for p in parts}
    data_card = by_name["Data card"]
    osaid = osaid_gate(
        parts,
        data_card.present,
        _("documented in {files}", files=", ".join(data_card.paths))
        if data_card.present
        else _("no data card"),
    )
    weights = content_licence(licence)
    checks = [
        check("licence.weights", weights.open, licence_source, weights.detail),
        check(
            "weights.present",
            weights_found := by_name["Model parameters (Final)"].present,
            ", ".join(by_name["Model parameters (Final)"].paths) or folder.name,
            _("model weights in the folder") if weights_found else _("no model weights found"),
        ),
    ]
    kinds = {
        "weights": licence,
        "documents": licence,
        "code": _code_licence(config, licence),
        "data": by_name["Datasets"].licence if by_name["Datasets"].present else None,
    }
    release = {"name": header.get("model_name") or name or folder.resolve().name, "authors": []}
    return assemble(parts, kinds, checks, osaid, release)


def _card(folder: Path) -> tuple[str, dict[str, Any]]:
    """The card's text and YAML header. A header that cannot be read is an error: read as
    none, the model would be rated as if it named no licence."""
    path = folder / CARD
    if not path.is_file():
        return "", {}
    text = path.read_text(encoding="utf-8-sig", errors="replace")  # a BOM is no content
    parts = text.split("---", 2)
    if len(parts) < 3 or parts[0].strip():
        return text, {}
    try:
        header = yaml.safe_load(parts[1])
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1  # its first line is the first ---
        raise InputError(
            _(
                "{path}, line {line}: the card's YAML header cannot be read: {problem}",
                path=str(path),
                line=str(line),
                problem=getattr(error, "problem", None) or str(error),
            ),
            _("fix the header between the '---' lines, or ask the publisher for a valid card"),
        ) from None
    if header is not None and not isinstance(header, dict):
        raise InputError(
            _("{path}: the card's YAML header is not a mapping of fields", path=str(path)),
            _("fix the header between the '---' lines, or ask the publisher for a valid card"),
        )
    return parts[2], header or {}


def _licence(header: dict[str, Any], folder: Path) -> tuple[str | None, str]:
    """The model's licence as an SPDX-like id (`other` names itself in `license_name`), and
    the file that says it: the card, else a LICENSE file we recognise."""
    licence = header.get("license")
    if isinstance(licence, list):
        licence = " AND ".join(str(x) for x in licence)
    if licence in (None, ""):
        found = licence_file(folder)
        return found or (None, CARD)
    licence = str(licence)
    if licence.lower() == "other":
        name = header.get("license_name")
        return (f"LicenseRef-{name}" if name else "LicenseRef-other"), CARD
    return licence, CARD


def _config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            _("{path} is not valid JSON: {error}", path=str(path), error=str(exc)),
            _("fix or re-download config.json"),
        ) from None
    return value if isinstance(value, dict) else {}


def _code_licence(config: dict[str, Any], licence: str | None) -> str | None:
    return licence if config.get("auto_map") else TRANSFORMERS_LICENCE if config else None


def _component(
    component: Component,
    listing: list[str],
    card: str,
    header: dict[str, Any],
    config: dict[str, Any],
    licence: str | None,
) -> Found:
    name = component.name
    if name == "Model architecture":
        return _architecture(component, listing, config, licence)
    if name == "Model card":
        return found(component, [CARD] if CARD in listing else [], licence)
    if name == "Evaluation results" and header.get("model-index"):
        return found(component, [f"{CARD} (model-index)"], licence)
    paths = _matches(listing, _FILES.get(name, ()))
    if name == "Data card" and not paths:
        paths = [f"{CARD} ({h})"] if (h := _data_section(card)) else []
    if name in ("Research paper", "Technical report") and not paths:
        links = sorted(set(_ARXIV.findall(card)))
        if links and name == "Research paper":
            return found(component, links, None)  # licence of an external paper: unknown
    return found(component, paths, licence)


def _architecture(
    component: Component, listing: list[str], config: dict[str, Any], licence: str | None
) -> Found:
    if not config:
        return found(component, [], None)
    if config.get("auto_map"):  # remote code: the folder's own modules
        return found(component, _matches(listing, ("*.py",)), licence)
    model_type = config.get("model_type")
    if model_type and _in_transformers(model_type):
        return found(
            component, [f"config.json → transformers ({model_type})"], TRANSFORMERS_LICENCE
        )
    return found(component, [], None)


def _in_transformers(model_type: str) -> bool:
    from transformers import CONFIG_MAPPING

    return model_type in CONFIG_MAPPING


def _files_below(folder: Path) -> list[str]:
    """Every regular file below `folder`. Links are not its files, except in a Hugging Face
    cache snapshot (`models--ORG--NAME/snapshots/REV`), whose every file links into the
    model's own `blobs`."""
    blobs = folder.resolve().parent.parent / "blobs"
    cached = folder.resolve().parent.name == "snapshots" and blobs.is_dir()
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and (not path.is_symlink() or (cached and path.resolve().is_relative_to(blobs)))
    )


def _matches(listing: list[str], patterns: tuple[str, ...]) -> list[str]:
    """The listed files a pattern names, segment by segment as `Path.glob` matches."""
    return sorted(
        rel
        for rel in listing
        if any(_glob_match(rel.split("/"), pattern.split("/")) for pattern in patterns)
    )


def _glob_match(parts: list[str], pattern: list[str]) -> bool:
    return len(parts) == len(pattern) and all(
        fnmatchcase(part, glob) for part, glob in zip(parts, pattern, strict=True)
    )


def _data_section(card: str) -> str:
    """The heading of a card section about the training data with some substance, or ''."""
    for heading in _DATA_HEADING.finditer(card):
        rest = card[heading.end() :]
        following = _ANY_HEADING.search(rest)
        body = rest[: following.start()] if following else rest
        if len(body.strip()) >= _MIN_SECTION_CHARS and not _WITHHELD.search(body):
            return heading.group(0).lstrip("#").strip()
    return ""
