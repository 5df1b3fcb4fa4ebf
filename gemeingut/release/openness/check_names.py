"""The openness checks by their names: `openness.json` lists each by its id (`licence.weights`),
which a script reads; a person reads what it checks, in their language, with the id beside it
to find it in the file. One table, for every rating (a bundle's, a fine-tune's, a foreign
folder's)."""

from __future__ import annotations

from gemeingut.i18n import Message, _

CHECK_NAMES: dict[str, Message] = {
    "artifacts.five": _("five open artifacts"),
    "weights.present": _("weights present"),
    "licence.weights": _("licence of the weights"),
    "licence.text": _("licence text of the weights"),
    "licence.code": _("licence of the code"),
    "licence.documents": _("licence of the documentation"),
    "licence.training-data": _("licences of the training data"),
    "licence.test-data": _("licences of the test data"),
    "licence.data-text": _("licence texts of the data"),
    "licence.share-alike": _("share-alike licences of the data carried"),
    "licence.base": _("licence of the base model"),
    "osaid.gate": _("Open Source AI Definition"),
}


def check_said(check_id: str) -> Message | str:
    """A check by its name with its id in parentheses; a check this version has no name for
    (one a newer version wrote) by its id alone."""
    name = CHECK_NAMES.get(check_id)
    return check_id if name is None else _("{name} ({id})", name=name, id=check_id)
