"""A foreign base named by its Hugging Face Hub id (`release --base-hub-id`): the publisher's
statement, which the card says was not checked. Which model a Hub id names only the Hub can
tell; gemeingut asks nothing on the network. It refuses a Hub id only where this machine
already shows that it names another model: the base folder is the Hub cache's copy of another
id, or the cache holds that id's config.json and it describes another architecture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import _

# What a fine-tune cannot change: a config that differs here is of another model.
COMPARED = (
    "model_type",
    "architectures",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "vocab_size",
)


def check_hub_id(hub_id: str, base_dir: Path) -> None:
    """Refuse `hub_id` where the cache shows it names another model than `base_dir` holds."""
    from gemeingut.model.finetune_base_reference import base_reference

    hint = _(
        "name the Hub id of the model the fine-tune was made from, or leave --base-hub-id out "
        "(release.base_hub_id in a recipe)"
    )
    cached_as = base_reference(str(base_dir))
    if cached_as != str(base_dir.resolve()) and cached_as.lower() != hub_id.lower():
        raise InputError(
            _(
                "--base-hub-id {hub_id}: the base folder {path} is the Hugging Face cache's copy "
                "of {cached}",
                hub_id=hub_id,
                path=str(base_dir),
                cached=cached_as,
            ),
            hint,
        )
    own, cached = json_config(base_dir / "config.json"), cached_config(hub_id)
    if own is None or cached is None:
        return  # nothing on this machine to compare: the card says it is not checked
    differing = [
        f"{key} {own[key]} ≠ {cached[1][key]}"
        for key in COMPARED
        if key in own and key in cached[1] and own[key] != cached[1][key]
    ]
    if differing:
        raise InputError(
            _(
                "--base-hub-id {hub_id} names another model: its config.json in the local "
                "Hugging Face cache ({cached}) differs from the base folder's ({differing})",
                hub_id=hub_id,
                cached=str(cached[0]),
                differing="; ".join(differing),
            ),
            hint,
        )


def cached_config(hub_id: str) -> tuple[Path, dict[str, Any]] | None:
    """The Hub id's config.json as the local Hugging Face cache holds it (no network)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(hub_id, "config.json")
    if not isinstance(found, str):
        return None
    config = json_config(Path(found))
    return (Path(found), config) if config is not None else None


def json_config(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
