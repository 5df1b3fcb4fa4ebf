"""What is wrong with a value, in the reader's language, from pydantic's error record.

pydantic describes a wrong value in English only; its error `type` and `ctx` say the same
thing as data, so the common kinds are written here as messages of the catalogue. A kind not
listed keeps pydantic's words; a validator that raises `ValueError(_("…"))` is written in the
reader's language too.
"""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import Message, _

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
    "float_type": _("must be a number"),
    "float_parsing": _("must be a number"),
    "finite_number": _("must be a finite number"),
    "string_type": _("must be a text"),
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


def problem(error: dict[str, Any]) -> Message | str:
    """One pydantic error as a message (its numbers as pydantic wrote them), or pydantic's
    own words where the kind is not known here."""
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, ValueError) and raised.args and isinstance(raised.args[0], Message):
        return raised.args[0]  # a validator's own sentence, from the catalogue
    template = PROBLEMS.get(str(error.get("type")))
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if template is None:
        return message
    values = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    if "expected" in values:  # pydantic joins the choices with an English "or"
        values["expected"] = values["expected"].replace(" or ", ", ")
    try:
        template.msgid.format(**values)
    except (KeyError, IndexError, ValueError):  # a ctx without the expected value
        return message
    return Message(template.msgid, values)
