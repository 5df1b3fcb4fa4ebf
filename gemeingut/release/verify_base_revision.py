"""The revision a fine-tune bundle names for its base, checked where the bundle can tell.

`reproduce` lays out the base as the snapshot of that revision and `release` writes it into
the audit's lm_eval command (`reproduce_base.py`, `audit_command.py`): a value that is no
commit is ignored there, and said here; and an adapter's `revision` (what peft loads) must be
the one its record names, or the two documents name different weights. Which files the Hub
holds at that revision only the Hub can tell: the base's own files are bound by their
fingerprint (`base-model/files.json`).
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import Message, _
from gemeingut.json_records import read_object
from gemeingut.model.finetune_base_reference import is_revision
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import FINETUNE_RECORD
from gemeingut.release.openness.finetune_rating import ADAPTER_CONFIG, base_record


def revision_problems(bundle: Path) -> list[Message]:
    """The base's recorded revision where it is no commit, or not the adapter's."""
    base = base_record(bundle)
    recorded = base.get(REVISION) if isinstance(base, dict) else None
    if recorded is None:  # no snapshot, or a record older than the key: the adapter's alone
        return []
    if not is_revision(recorded):
        return [
            _(
                "{file}: base_model.revision {revision} is no commit of the Hugging Face Hub "
                "(40 hexadecimal digits)",
                file=FINETUNE_RECORD,
                revision=repr(recorded),
            )
        ]
    hint = _("restore {file} from the release", file=ADAPTER_CONFIG)
    config = read_object(bundle / ADAPTER_CONFIG, hint)  # None: whole weights, no adapter
    adapter = config.get(REVISION) if config is not None else recorded
    if adapter is None:  # peft writes null where it was given none: it loads `main`
        return [
            _(
                "{config} names no revision of the base, so peft loads its `main`, but {file} "
                "names {recorded}",
                config=ADAPTER_CONFIG,
                file=FINETUNE_RECORD,
                recorded=str(recorded),
            )
        ]
    if adapter != recorded:
        return [
            _(
                "{config}: the base's revision is {adapter}, but {file} names {recorded}",
                config=ADAPTER_CONFIG,
                adapter=str(adapter),
                file=FINETUNE_RECORD,
                recorded=str(recorded),
            )
        ]
    return []
