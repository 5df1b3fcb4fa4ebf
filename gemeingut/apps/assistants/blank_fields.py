"""A draft's subject, audience, occasion and key points: each one given must say something.

A blank key point became a part under an empty heading, written by the model all the same; a
blank audience or occasion a prompt that names nobody. They are refused before a collection is
opened or a model asked, by the CLI and the server alike (`field` names the request's field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gemeingut.errors import InputError
from gemeingut.i18n import _

if TYPE_CHECKING:
    from gemeingut.apps.assistants.drafts import DraftRequest


class BlankField(InputError):
    """A field of the request given without text; `field` is its name in the request body."""

    def __init__(self, field: str, number: int = 0) -> None:
        said = {
            "subject": (
                _("the draft needs a subject"),
                _("say with --subject what the draft is about"),
            ),
            "audience": (
                _("the audience is empty"),
                _("say with --audience who listens, or leave the option out"),
            ),
            "occasion": (
                _("the occasion is empty"),
                _("say with --occasion what the occasion is, or leave the option out"),
            ),
            "points": (
                _("key point {number} is empty", number=number),
                _("give each --point a text, or leave it out"),
            ),
        }
        super().__init__(*said[field])
        self.field = field
        self.number = number

    def __reduce__(self) -> tuple:
        return (type(self), (self.field, self.number))


def blank(value: str | None) -> bool:
    """Given (not None), yet without a character to read."""
    return value is not None and not value.strip()


def check_request(request: DraftRequest) -> None:
    """Raise `BlankField` for the first field that is given but blank (an audience or occasion
    of "" is one not given: the server's default)."""
    if not request.subject.strip():
        raise BlankField("subject")
    for field in ("audience", "occasion"):
        value = getattr(request, field)
        if value and blank(value):
            raise BlankField(field)
    for number, point in enumerate(request.points, start=1):
        if blank(point):
            raise BlankField("points", number)
