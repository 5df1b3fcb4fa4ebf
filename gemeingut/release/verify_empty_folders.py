"""Empty folders in a bundle that an older gemeingut wrote: said beside the verdict, not failed.

A MANIFEST lists files: an empty folder is a name that no line, and so no signature, covers.
OpenSSF model-signing and in-toto list files alone and pass over folders (so do `sha256sum -c`
and git); gemeingut's `write_manifest` leaves none and `verify` names one as extra, so that a
name a reader sees ("model/nur-für-forschung/") cannot be added unnoticed. A bundle carries no
format field (`verify_format`), but its own gemeingut source (training-code/) shows whether its
writer made that promise: one whose source does not name an empty folder as this version does
copied any it met into the bundle (a paper's empty subfolder), which is then no change to the
release. There each is a note, not a failure; where the writer is this version, or names empty
folders itself, or is not shown by a source its lineage names too, an empty folder fails.
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import Message, _
from gemeingut.release.manifest import empty_folder
from gemeingut.release.verify_format import writers
from gemeingut.release.verify_snapshot import snapshot_code, source_says
from gemeingut.workspace import code_version

_NAMED = empty_folder("").msgid  # as this version names one, and a writer that refuses them


def older_empty_folders(
    bundle: Path, problems: list[str | Message]
) -> tuple[list[str | Message], list[Message]]:
    """`problems` without the empty folders that the bundle's writer did not yet leave out,
    and a note for each of them."""
    folders = [p for p in problems if isinstance(p, Message) and p.msgid == _NAMED]
    if not folders:
        return problems, []
    writer = snapshot_code(bundle)
    if (
        writer is None
        or writer == code_version()
        or writer not in writers(bundle)
        or source_says(bundle, _NAMED)
    ):
        return problems, []
    notes = [
        _(
            "{file}/ is an empty folder, which no line of the MANIFEST lists: no hash and no "
            "signature covers its name; {writer}, which wrote the bundle, did not yet leave "
            "empty folders out, so it is no change (a bundle of this version holds none)",
            file=folder.values["file"],
            writer=writer,
        )
        for folder in folders
    ]
    return [p for p in problems if not any(p is folder for folder in folders)], notes
