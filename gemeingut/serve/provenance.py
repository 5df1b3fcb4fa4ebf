"""Where a served model comes from, as the server knows it: its own (a Gemeingut release
bundle this process runs, rated as a bundle at start), forwarded (an engine behind
`--upstream`, even where `--model-card` names a bundle: that the engine serves that model is
the operator's word), or foreign (any other model folder). The page's heading says it, and
`/v1/models` gives it to API clients (`provenance`)."""

from __future__ import annotations

from gemeingut.serve.backends import Relaying
from gemeingut.serve.model_openness import BUNDLE_CHECK
from gemeingut.serve.schemas import Provenance
from gemeingut.serve.served import ServedModel


def provenance(model: ServedModel) -> Provenance:
    """Where `model` comes from (see the module's docstring)."""
    if isinstance(model.backend, Relaying):
        return "forwarded"
    if model.openness is not None and model.openness.check == BUNDLE_CHECK:
        return "own"
    return "foreign"
