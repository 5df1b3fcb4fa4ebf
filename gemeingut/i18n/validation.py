"""What is wrong with a value, in the reader's language, from pydantic's error record.

pydantic describes a wrong value in English only; its error `type` and `ctx` say the same
thing as data, so the common kinds are written here as messages of the catalogue. A kind not
listed keeps pydantic's words; a validator that raises `ValueError(_("…"))` is written in the
reader's language too.
"""

from __future__ import annotations

import math
from typing import Any

from gemeingut.i18n import Message, _, plural

# pydantic error type → message; {name} placeholders are filled from the error's ctx.
PROBLEMS: dict[str, Message] = {
    "missing": _("is required"),
    "greater_than": _("must be greater than {gt}"),
    "greater_than_equal": _("must be at least {ge}"),
    "less_than": _("must be less than {lt}"),
    "less_than_equal": _("must be at most {le}"),
    "string_too_short": _("must have at least {min_length} characters"),
    "string_too_long": _("must have at most {max_length} characters"),
    "too_short": _("must have at least {min_length} items"),
    "too_long": _("must have at most {max_length} items"),
    "int_type": _("must be a whole number"),
    "int_parsing": _("must be a whole number"),
    "int_from_float": _("must be a whole number"),
    "int_parsing_size": _("must be a whole number"),  # 1e308: no int reads it
    "float_type": _("must be a number"),
    "float_parsing": _("must be a number"),
    "finite_number": _("must be a finite number"),
    "string_type": _("must be a text"),
    "string_unicode": _("must be Unicode text"),
    "bool_type": _("must be true or false"),
    "bool_parsing": _("must be true or false"),
    "list_type": _("must be a list"),
    "dict_type": _("must be an object"),
    "model_type": _("must be an object"),
    "model_attributes_type": _("must be an object"),
    "literal_error": _("must be one of {expected}"),
    "enum": _("must be one of {expected}"),
    "string_pattern_mismatch": _("does not have the required form ({pattern})"),
    "extra_forbidden": _("is not a known setting"),
    "url_parsing": _("is not a valid URL"),
    "url_scheme": _("must be a URL with one of the schemes {expected_schemes}"),
    "date_from_datetime_parsing": _("must be a date (YYYY-MM-DD)"),
    "date_parsing": _("must be a date (YYYY-MM-DD)"),
    "path_type": _("must be a path"),
}
# Kinds whose count takes the singular at 1 ("at least 1 item"): the count's ctx key, and the
# singular message.
SINGULARS: dict[str, tuple[str, Message]] = {
    "string_too_short": ("min_length", _("must have at least 1 character")),
    "string_too_long": ("max_length", _("must have at most 1 character")),
    "too_short": ("min_length", _("must have at least 1 item")),
    "too_long": ("max_length", _("must have at most 1 item")),
}
COMPARISONS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def problem(error: dict[str, Any]) -> Message | str:
    """One pydantic error as a message (its numbers as the reader's language writes them, a
    count of 1 in the singular), or pydantic's own words where the kind is not known here."""
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, ValueError) and raised.args and isinstance(raised.args[0], Message):
        return raised.args[0]  # a validator's own sentence, from the catalogue
    kind = str(error.get("type"))
    given = error.get("input")
    if kind in COMPARISONS and isinstance(given, float) and math.isnan(given):
        return _("is not a number (NaN)")  # it compares false with every bound
    template = PROBLEMS.get(kind)
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if template is None:
        return message
    # Numbers stay numbers, so that the reader's language writes them (2, 4.096 in German).
    values = {
        key: value if _is_number(value) else str(value)
        for key, value in (error.get("ctx") or {}).items()
    }
    if "expected" in values:  # pydantic joins the choices with an English "or"
        values["expected"] = str(values["expected"]).replace(" or ", ", ")
    try:
        template.msgid.format(**values)
    except (KeyError, IndexError, ValueError):  # a ctx without the expected value
        return message
    said = Message(template.msgid, values)
    if kind in SINGULARS:
        count, one = SINGULARS[kind]
        return plural(values[count], one, said) if isinstance(values[count], int) else said
    return said


def is_mismatch(kind: str) -> bool:
    """Whether a pydantic error kind says the value is of another kind (a list for a text),
    rather than that a value of the right kind is wrong (too long, not Unicode)."""
    return kind.endswith("_type")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
