"""What was done to a released model, in the MOF schema's words (`treatment`), computed from the
fine-tune's record, never declared: the data the fine-tuning read says whether it was tuned on
chats, on instructions, or on plain text (continued pretraining, which the schema has no other
word for than pre-trained). Whether a release *is* a fine-tune is the record's presence, not this
word (`osai_index.py`): a fine-tune on plain text is still a fine-tune.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.json_records import read_object

PRE_TRAINED = "pre-trained"
CHAT = "chat fine-tuned"
# what to do where the fine-tune's record is damaged at release (not in a bundle)
REBUILD = _("remove the fine-tune's folder and run `gemeingut build` again")
INSTRUCT = "instruct fine-tuned"
SAID: dict[str, Message] = {  # the words as a document in the reader's language has them
    PRE_TRAINED: _("pre-trained"),
    INSTRUCT: _("instruct fine-tuned"),
    CHAT: _("chat fine-tuned"),
}


def mof_treatment(record: dict[str, Any]) -> str:
    """The MOF schema's word for a fine-tune, from the data its record names: chat or
    instruction examples; plain text (continued pretraining) has no other word than
    pre-trained."""
    train = (record.get("data") or {}).get("train") or {}
    if train.get("chat_examples"):
        return CHAT
    if train.get("instruction_examples"):
        return INSTRUCT
    return PRE_TRAINED


def recorded_treatment(record: Path, hint: Message | None = None) -> str:
    """The treatment the fine-tune's record `record` (finetune.json) gives; pre-trained where
    there is none (a model of the pretraining alone). `hint`: what to do where it is damaged
    (a bundle's: obtain an unmodified copy)."""
    found = read_object(record, hint or _("obtain an unmodified copy"))
    return PRE_TRAINED if found is None else mof_treatment(found)
