"""Token ids a client sent, checked against the model's vocabulary before the model or its
tokenizer reads them: an id outside it would index past the embedding table (a crash, not an
answer) or decode to nothing."""

from __future__ import annotations

from gemeingut.i18n import _
from gemeingut.serve.backends.protocol import RequestRejected


def check_ids(ids: list[int], size: int, param: str | None) -> None:
    """A 400 naming the first id that is not in a vocabulary of `size` tokens (0 to size-1),
    `param` the field it came in (None: the request's prompt field, as the route names it)."""
    bad = next((i for i in ids if not 0 <= i < size), None)
    if bad is not None:
        raise RequestRejected(
            _(
                "token id {token} is outside this model's vocabulary (0 to {last})",
                token=str(bad),  # an id, not an amount: no thousands separator
                last=str(size - 1),
            ),
            param=param,
            code="invalid_value",
        )
