"""A publication's data statement, checked before a release is built against the one this
gemeingut renders from the same records.

The release ships the publication's DATA_STATEMENT.md, and its self-check (as `verify` later)
renders it again from the dataset's stats.json and record and the publication's settings
(`verify_statement_rendered.py`). A publication made by another version of gemeingut (other
sections, other wording) or edited since reads otherwise: the new bundle would fail its own
checks. So the release refuses it first, before anything is written, and says how to publish
the dataset again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _
from gemeingut.json_records import why_unreadable
from gemeingut.release.differences import text_difference
from gemeingut.workspace import Artifact, code_version


def refuse_other_statement(
    publication: Artifact, stats: dict[str, Any], dataset: dict[str, Any], folder: Path | None
) -> None:
    """`stats`, `dataset`: the dataset's stats.json and record as the bundle will hold them;
    `folder`: the dataset artifact's folder, where the release is given it (a fine-tune holds
    a copy of its data, and names the dataset by its id)."""
    from gemeingut.data.publish import DATA_STATEMENT_FILE
    from gemeingut.release.verify_statement_rendered import statement_from

    hint = _publish_again(publication, dataset, folder)
    path = publication.path / DATA_STATEMENT_FILE
    try:
        shipped = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        said = _("{path} cannot be read: {error}", path=str(path), error=why_unreadable(exc))
        raise InputError(said, hint) from None
    try:
        again = statement_from(stats, dataset, publication.meta.get("params", {}))
    except ValidationError:
        difference: Message | None = _("its settings are not ones this version of gemeingut reads")
    else:
        difference = text_difference(shipped, again)
    if difference is None:
        return
    values = {"path": str(path), "difference": difference}
    written = publication.meta.get("code")
    if written != code_version():
        said = _(
            "{path} was written by another version of gemeingut ({written}), and this one "
            "writes the data statement otherwise from the same records: {difference}",
            written=written if isinstance(written, str) else _("no version recorded"),
            **values,
        )
    else:
        said = _(
            "{path} was changed after it was published: it is not the data statement the "
            "dataset's records and the publication's settings give ({difference})",
            **values,
        )
    raise InputError(said, hint)


def _publish_again(publication: Artifact, dataset: dict[str, Any], folder: Path | None) -> Message:
    if folder is not None:
        return _(
            "publish the dataset again with this version: gemeingut data publish {dataset} "
            "--info INFO.toml --out NEW (INFO.toml: the settings {publication} was published "
            "with), then pass --publication NEW",
            dataset=str(folder),
            publication=str(publication.path),
        )
    return _(
        "publish the dataset again with this version: gemeingut data publish DATASET --info "
        "INFO.toml --out NEW (DATASET: the folder of the dataset artifact {id}; INFO.toml: the "
        "settings {publication} was published with), then pass --publication NEW",
        id=str(dataset.get("id")),
        publication=str(publication.path),
    )
