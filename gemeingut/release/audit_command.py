"""The lm_eval command an audit recorded, as a release bundle publishes it: run as written from
the bundle's audit/, it loads the bundle's model (`../model`) where the audit named the audited
folder, and a LoRA adapter's base by the name the bundle's adapter gives it.

The command is taken apart word by word and its `--model_args` pair by pair, so that only a
value that *is* the audited folder changes: a replace of `pretrained=..` would also hit the
`pretrained=../../…` of an adapter's base (audited from a folder inside the adapter's).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from gemeingut.model.finetune_base_reference import cached_model, is_revision
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.recipe import is_hub_id

MODEL_ARGS = "--model_args"
FOLDER_KEYS = ("pretrained", "peft")  # the model_args that name the audited folder itself


def published_command(command: str, local: str, model: str, base: str | None) -> str:
    """`command` with each `--model_args` value naming the audited folder `local` (as seen from
    the audit) named `model` instead, and an adapter's base (`pretrained=` beside `peft=`) as
    `published_base` names it; unchanged where it has no model_args."""
    try:
        words = shlex.split(command)
    except ValueError:  # not a command a shell runs: nothing to name in it
        return command
    if MODEL_ARGS not in words[:-1]:
        return command
    at = words.index(MODEL_ARGS) + 1
    published = published_args(words[at], local, model, base)
    if published == words[at]:
        return command  # as recorded, byte for byte
    words[at] = published
    return shlex.join(words)


def published_args(args: str, local: str, model: str, base: str | None) -> str:
    """lm-eval's `key=value,…` model arguments with the audited folder and an adapter's base
    named as the bundle holds them."""
    pairs = [pair.partition("=") for pair in args.split(",")]
    adapter = any(key == "peft" for key, _, _ in pairs)
    named = [value for key, _, value in pairs if key == "pretrained"]
    # the base as the recorded pair names it, with its revision (`ORG/NAME,revision=HASH`)
    revision = next((value for key, _, value in pairs if key == "revision"), None)
    recorded = f"{named[0]},revision={revision}" if named and revision else (named or [""])[0]
    published = _base_named(named[0], recorded, base) if adapter and named else recorded
    renamed = published != recorded
    kept = []
    for key, equals, value in pairs:
        if key in FOLDER_KEYS and equals and _same_folder(value, local):
            kept.append(f"{key}={model}")
        elif renamed and key == "pretrained":
            kept.append(f"pretrained={published}")
        elif not (renamed and key == "revision"):  # the recorded base's, replaced with it
            kept.append(key + equals + value)
    return ",".join(kept)


def published_base(model_dir: Path) -> str | None:
    """How the lm_eval command names the base of the bundle's adapter (`model_dir`): as the
    adapter's config names it for peft, with the revision it was trained on where it gives
    one; None for whole weights."""
    config_file = model_dir / ADAPTER_CONFIG
    if not config_file.is_file():
        return None
    config = json.loads(config_file.read_text(encoding="utf-8"))
    name, revision = config.get("base_model_name_or_path"), config.get("revision")
    if not isinstance(name, str) or not is_hub_id(name):
        return None  # a folder of the building machine: nothing a reader could load
    return f"{name},revision={revision}" if is_revision(revision) else name


def _same_folder(value: str, local: str) -> bool:
    return os.path.normpath(value) == os.path.normpath(local)


def _base_named(value: str, recorded: str, base: str | None) -> str:
    """An adapter's base as recorded (`value`, `recorded` with its revision): the bundle's own
    name for it where it gives one (`base`, what its adapter's config names); else a snapshot
    of the Hugging Face cache (an older audit's path up into it) by its Hub id and revision,
    and anything else as recorded."""
    if base is not None:
        return base
    cached = None if is_hub_id(value) else cached_model(value)
    return f"{cached.hub_id},revision={cached.revision}" if cached is not None else recorded
