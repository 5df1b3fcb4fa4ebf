"""The fine-tuning data's licence, checked before training: a licence that asks for
attribution (CC BY, DL-DE BY …) binds whoever passes the data or a model of it on, and the
release names whom to credit and where the data comes from in its NOTICE and card. A fine-tune
without them would train for minutes and then be refused at release (or, released, print
nothing where the credit belongs), so it is refused before the first step."""

from __future__ import annotations

from gemeingut.data.licenses import decide
from gemeingut.data.publish.licenses import needs_attribution
from gemeingut.errors import InputError
from gemeingut.i18n import _, plural, quoted
from gemeingut.recipe import FinetuneSection


def check_data_attribution(section: FinetuneSection) -> None:
    """Refuse an open `data_license` that asks for attribution without both the attribution
    and the data's origin (the options that give them are named)."""
    licence = section.data_license
    if licence is None or not decide(licence).admitted or not needs_attribution(licence):
        return  # data that cannot be published (NC …) is refused by the release, not here
    given = {"--data-attribution": section.data_attribution, "--data-url": section.data_url}
    missing = [option for option, value in given.items() if not (value and value.strip())]
    if not missing:
        return
    values = {"licence": licence, "missing": quoted(missing)}
    said = plural(
        len(missing),
        _("the fine-tuning data's licence {licence} asks for attribution, but {missing} is "
          "missing: the release must name whom to credit and where the data comes from", **values),
        _("the fine-tuning data's licence {licence} asks for attribution, but {missing} are "
          "missing: the release must name whom to credit and where the data comes from", **values),
    )  # fmt: skip
    raise InputError(
        said,
        _(
            'name them: --data-attribution "AUTHOR, TITLE" --data-url URL '
            "(finetune.data_attribution and finetune.data_url in a recipe)"
        ),
    )
