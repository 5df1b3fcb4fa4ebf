"""The revision a fine-tune bundle names for its base, checked where the bundle can tell.

`reproduce` lays out the base as the snapshot of that revision and `release` writes it into
the audit's lm_eval command (`reproduce_base.py`, `audit_command.py`): a value that is no
commit is ignored there, and said here; and an adapter's `revision` (what peft loads) must be
the one its record names, or the two documents name different weights. In a chain the
released record names the base its oldest link was made from, whose own record must name the
same revision: that link is rebuilt on it. Which files the Hub holds at that revision only the
Hub can tell: the base's own files are bound by their fingerprint (`base-model/files.json`).
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import Message, _
from gemeingut.json_records import read_object
from gemeingut.model.finetune_base_reference import is_revision
from gemeingut.release.finetune_record import REVISION
from gemeingut.release.layout import FINETUNE_RECORD, earlier_roles
from gemeingut.release.openness.chain_runs import earlier_record
from gemeingut.release.openness.finetune_rating import ADAPTER_CONFIG, base_record
from gemeingut.release.verify_finetune_data import LINEAGE


def revision_problems(bundle: Path) -> list[Message]:
    """The base's recorded revision where it is no commit, or not the adapter's."""
    base = base_record(bundle)
    recorded = base.get(REVISION) if isinstance(base, dict) else None
    problems = _oldest_link_problems(bundle, recorded)
    if recorded is None:  # no snapshot, or a record older than the key: the adapter's alone
        return problems
    if not is_revision(recorded):
        return [
            *problems,
            _(
                "{file}: base_model.revision {revision} is no commit of the Hugging Face Hub "
                "(40 hexadecimal digits)",
                file=FINETUNE_RECORD,
                revision=repr(recorded),
            ),
        ]
    hint = _("restore {file} from the release", file=ADAPTER_CONFIG)
    config = read_object(bundle / ADAPTER_CONFIG, hint)  # None: whole weights, no adapter
    adapter = config.get(REVISION) if config is not None else recorded
    if adapter is None:  # peft writes null where it was given none: it loads `main`
        return [
            *problems,
            _(
                "{config} names no revision of the base, so peft loads its `main`, but {file} "
                "names {recorded}",
                config=ADAPTER_CONFIG,
                file=FINETUNE_RECORD,
                recorded=str(recorded),
            ),
        ]
    if adapter != recorded:
        return [
            *problems,
            _(
                "{config}: the base's revision is {adapter}, but {file} names {recorded}",
                config=ADAPTER_CONFIG,
                adapter=str(adapter),
                file=FINETUNE_RECORD,
                recorded=str(recorded),
            ),
        ]
    return problems


def _oldest_link_problems(bundle: Path, recorded: object) -> list[Message]:
    """The revision a chain's oldest link records for its base where it is not the one the
    released record names for the chain's base (`finetune_chain.chained_record` copies it)."""
    lineage = read_object(bundle / LINEAGE, _("restore {file} from the release", file=LINEAGE))
    roles = earlier_roles(lineage or {})
    oldest = lineage[roles[0]] if lineage and roles else None
    if not isinstance(oldest, dict):
        return []
    file = earlier_record(str(oldest.get("id")))
    record = read_object(bundle / file, _("restore {file} from the release", file=file))
    base = record.get("base_model") if record is not None else None
    found = base.get(REVISION) if isinstance(base, dict) else None
    if record is None or found == recorded:
        return []
    return [
        _(
            "{file}: base_model.revision is {found}, but {released} names {recorded} as the "
            "revision of the chain's base",
            file=file,
            found=str(found),
            released=FINETUNE_RECORD,
            recorded=str(recorded),
        )
    ]
