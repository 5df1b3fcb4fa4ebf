"""The page's heading, from what this server serves, never a fixed claim. "Your own language
model" only where it is one: a Gemeingut release bundle that this process runs (rated as a
bundle at start, as `/v1/models` shows in its openness' `check`). A model of an engine behind
`--upstream` is said to be forwarded to, even where `--model-card` names a bundle's folder
(that it serves that model is the operator's word); any other model folder is said to be not
a Gemeingut release. The models that write text decide (an encoder beside a language model only
searches documents); a server of encoders alone is said by them.
"""

from __future__ import annotations

from collections.abc import Iterable

from gemeingut.i18n import Message, _, plural
from gemeingut.serve.provenance import provenance
from gemeingut.serve.served import ServedModel
from gemeingut.serve.writers import writes


def heading(models: Iterable[ServedModel]) -> Message:
    """The heading for a server that serves `models` (at least one)."""
    served = list(models)
    writing = [model for model in served if writes(model.backend)] or served
    kinds = {provenance(model) for model in writing}
    count = len(writing)
    if kinds == {"own"}:
        return plural(
            count,
            _("Gemeingut KI: your own language model"),
            _("Gemeingut KI: your own language models"),
        )
    if kinds == {"forwarded"}:
        return plural(
            count,
            _("Gemeingut KI: forwarding to an external language model"),
            _("Gemeingut KI: forwarding to external language models"),
        )
    if kinds == {"foreign"}:
        return plural(
            count,
            _("Gemeingut KI: a language model that is not a Gemeingut release"),
            _("Gemeingut KI: language models that are not Gemeingut releases"),
        )
    if "own" in kinds:
        return _("Gemeingut KI: your own and other language models")
    return _("Gemeingut KI: language models of different origins")
