"""Who may see a collection: its groups, set when it is made and changed only by `set_groups`.

An ingest that merged its `--group` into a collection's groups would widen access to every
document in it unseen, so an ingest keeps the groups it finds and refuses others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.apps.rag.storage import collection_folder, locked, read_meta, write_meta
from gemeingut.errors import InputError
from gemeingut.i18n import _, quoted, text


def set_groups(
    root: Path,
    name: str,
    replace: list[str] | None = None,
    add: list[str] | None = None,
    drop: list[str] | None = None,
) -> list[str]:
    """Change who may see collection `name` and return its groups; `collection.json` is
    replaced in one rename, and a server opens a collection again when that file changes."""
    if replace is not None and (add or drop):
        raise InputError(
            _("--set names all groups: it cannot be used with --add or --remove"),
            _("use --set alone, or --add and --remove"),
        )
    taken = set(checked_groups(drop or []))
    folder = collection_folder(root, name)
    read_meta(root, name)  # a clear error if there is no such collection
    with locked(folder):
        meta = read_meta(root, name)
        held = meta.get("groups", [])
        missing = sorted(taken - set(held))
        if missing:
            raise InputError(
                _(
                    "collection '{name}' has no group {groups}",
                    name=name,
                    groups=quoted(missing),
                ),
                _("its groups: {groups}", groups=", ".join(held) or text(_("none"))),
            )
        kept = checked_groups(replace) if replace is not None else held
        meta["groups"] = sorted((set(kept) | set(checked_groups(add or []))) - taken)
        write_meta(folder, meta)
    return meta["groups"]


def checked_groups(groups: list[str]) -> list[str]:
    """Group names as the server's groups are named: without surrounding spaces, never empty."""
    checked = [g.strip() for g in groups]
    if "" in checked:
        raise InputError(_("a group name is empty"), _("name a group of the server's users"))
    return sorted(set(checked))


def groups_after_ingest(meta: dict[str, Any], asked: list[str]) -> list[str]:
    """A new collection takes the groups asked for; an existing one keeps its own, and other
    groups asked for refuse the ingest: merging them would open every document to them."""
    held = meta.get("groups", [])
    if "index" not in meta:  # not written yet: a new collection
        return asked
    if not asked or set(asked) == set(held):
        return held
    none = text(_("none"))
    raise InputError(
        _(
            "collection '{name}' is seen by the groups {held}, not {asked}",
            name=meta["name"],
            held=", ".join(held) or none,
            asked=", ".join(asked),
        ),
        _(
            "an ingest does not change who may see a collection: leave out --group to keep its "
            "groups, or change them with gemeingut rag groups {name} --set GROUP",
            name=meta["name"],
        ),
    )
