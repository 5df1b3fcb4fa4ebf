"""An audit that asks for memorisation alone, of a model whose training documents could not be
read and without canaries, measures no memorisation: it built an artifact and exited 0 with a
report that said „nicht geprüft“ (a new user's trial). It is refused before the model is
loaded, saying what to give; beside another suite the note in the report is enough (and its
baiting prompts for personal data, which need no training documents, still run there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemeingut.errors import InputError
from gemeingut.i18n import _

if TYPE_CHECKING:
    from gemeingut.audit.subject import Subject
    from gemeingut.recipe import AuditSection


def refuse_idle_memorisation(section: AuditSection, subject: Subject) -> None:
    """Raise where memorisation is the only suite asked for and cannot be measured."""
    from gemeingut.audit.memorisation import PII_PROMPTS

    if set(section.suites) != {"memorisation"}:
        return
    if subject.training_files or section.memorisation.canaries is not None:
        return
    raise InputError(
        _(
            "memorisation cannot be measured: no training documents of the model could be "
            "read, and no canaries were given; the audit would only check its answers to "
            "{count} baiting prompts for personal data",
            count=len(PII_PROMPTS),
        ),
        _(
            "name its training documents with --training-data (a dataset artifact, Parquet or "
            "JSONL) or canaries (`gemeingut audit memorisation --canaries`); for the baiting "
            "prompts alone, audit it beside another suite (`gemeingut audit run --suite "
            "memorisation --suite redteam`)"
        ),
    )
