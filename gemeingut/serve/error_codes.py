"""Which mistake an error is, as data: the `code` of every error object the server answers.

A client (or a monitoring rule) tells mistakes apart by `code`, not by the message, which is
written in the reader's language and may change. OpenAI's codes where OpenAI has one for the
same mistake (`missing_required_parameter`, `invalid_type`, `model_not_found` ...), so that a
client written against OpenAI reads ours; a clear one of our own elsewhere. A raise site names
its code; a request that fails validation gets the code of its first problem's kind.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from gemeingut.i18n.validation import is_mismatch

# The code of an answer whose cause names none, by its status: the gateway's audit records
# say the same (`gate.FALLBACK_DECISIONS`). A raise site of `APIError` names its own code, except
# where the status's is right for every such site: a 404's `not_found` (the thing asked for
# does not exist); tests/serve/test_error_codes.py reads them all.
STATUS_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    499: "client_closed",
    500: "server_error",
    502: "engine_unavailable",
    503: "unavailable",
    504: "engine_timeout",
}
DEFAULT_SUFFICES = frozenset({404})  # statuses whose code a raise site may leave out

# pydantic error kind → OpenAI's code for the same mistake
VALIDATION_CODES = {
    "missing": "missing_required_parameter",
    "extra_forbidden": "unknown_parameter",
    "json_invalid": "invalid_json",
    "string_too_short": "string_below_min_length",
    "string_too_long": "string_above_max_length",
    "too_long": "array_above_max_length",
}
BELOW = frozenset({"greater_than", "greater_than_equal"})
ABOVE = frozenset({"less_than", "less_than_equal"})
# kinds that say the value cannot be read as the field's type at all (text where a number belongs)
UNREADABLE = frozenset(
    {"int_parsing", "int_from_float", "int_parsing_size", "float_parsing", "bool_parsing"}
)


def code_of_status(status: int) -> str:
    """The code of an answer whose cause names none: `STATUS_CODES`, else the status's own
    name (`conflict`), so that no error object goes without one."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:  # a status of no standard
        return f"http_{status}"


def validation_code(error: dict[str, Any]) -> str:
    """OpenAI's code for one pydantic error: a bound as `integer_…`/`decimal_…` by the value
    sent, an empty list as `empty_array`, a value of another type as `invalid_type`, and
    anything else a field refuses (a validator's own sentence included) as `invalid_value`."""
    kind = str(error.get("type"))
    given = error.get("input")
    if kind in VALIDATION_CODES:
        return VALIDATION_CODES[kind]
    if kind in BELOW or kind in ABOVE:
        number = "integer" if isinstance(given, int) and not isinstance(given, bool) else "decimal"
        return f"{number}_{'below_min' if kind in BELOW else 'above_max'}_value"
    if kind == "too_short":
        return "empty_array" if given == [] else "array_below_min_length"
    if is_mismatch(kind) or kind in UNREADABLE:
        return "invalid_type"
    return "invalid_value"
