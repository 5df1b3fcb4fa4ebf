"""The fine-tuning data's licence, checked before training: a licence that asks for
attribution (CC BY, DL-DE BY …) binds whoever passes the data or a model of it on, and the
release names whom to credit and where the data comes from in its NOTICE and card. A fine-tune
without them would train for minutes and then be refused at release (or, released, print
nothing where the credit belongs), so it is refused before the first step."""

from __future__ import annotations

from gemeingut.data.licenses import decide
from gemeingut.data.publish.licenses import needs_attribution
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, quoted
from gemeingut.recipe import FinetuneSection
from gemeingut.release.openness.licences import content_licence

# The gate's reasons for data no open model may be made from (`data.licenses.decide`).
_NOT_FOR_OPEN = frozenset(
    {"licence-non-commercial", "licence-no-derivatives", "licence-proprietary"}
)


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


def refuse_closed_data(
    data_license: str | None,
    release_license: str | None,
    named: str = "--data-license",
    hint: Message | None = None,
) -> None:
    """Refuse an open `--license` for a model trained on data that forbids commercial use or
    derivatives, or is proprietary: no licence of the model lifts the data's terms, so such a
    release would pass on rights nobody has (the base model is held to the same by
    `base_model.release_refusal`). `named`: where the data's licence was given (the option, or
    a recipe's file, line and key); `hint`: what to do there (default: the command's)."""
    if data_license is None or release_license is None:
        return
    decision = decide(data_license)
    if decision.reason not in _NOT_FOR_OPEN or not content_licence(release_license).open:
        return
    raise InputError(
        _(
            "{named} {data}: {detail}, so a model trained on it cannot be released under an "
            "open licence such as {licence}",
            named=named,
            data=data_license,
            detail=decision.detail,
            licence=release_license,
        ),
        hint
        or _(
            "fine-tune on data under an open licence, or leave out --license to fine-tune "
            "without releasing"
        ),
    )
