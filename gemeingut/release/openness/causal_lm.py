"""Which model classes are causal language models: the ones transformers' own table
(`MODEL_FOR_CAUSAL_LM_MAPPING_NAMES`, what `AutoModelForCausalLM` loads) names, not a name's
suffix (GPT-2's class is `GPT2LMHeadModel`, BLOOM's `BloomForCausalLM`).

The table is read from transformers' source without importing it: importing the module that
holds it imports torch, seconds and hundreds of MB that `verify` and `openness rate` must not
need. It is plain data (model type → class name) in `models/auto/modeling_auto.py`; where a
transformers release keeps it elsewhere, the module is imported after all (slower, the same
table), and a transformers that cannot give it is an error naming it: without the table every
model would be taken for no language model, and the indices would say so.
"""

from __future__ import annotations

import ast
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from gemeingut.errors import GemeingutError
from gemeingut.i18n import _

_TABLE = "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"


def names_causal_lm(config: dict[str, Any]) -> bool:
    """Whether a config.json's `architectures` name a class transformers loads as a causal
    language model."""
    architectures = config.get("architectures") or []
    return isinstance(architectures, list) and any(
        isinstance(a, str) and a in causal_lm_classes() for a in architectures
    )


@cache
def causal_lm_classes() -> frozenset[str]:
    """The class names of transformers' causal-LM table."""
    found = find_spec("transformers")
    if found is not None and found.origin is not None:
        table = table_in(Path(found.origin).parent / "models" / "auto" / "modeling_auto.py")
        if table is not None:
            return table
    return imported_table()


def table_in(source: Path) -> frozenset[str] | None:
    """The table's class names as `source` assigns them; None where it does not."""
    try:
        module = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for node in module.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == _TABLE for t in node.targets
        ):
            names = _class_names(node.value)
            return frozenset(names) if names else None
    return None


def imported_table() -> frozenset[str]:
    """The table as transformers gives it when imported."""
    try:
        from transformers.models.auto import modeling_auto

        table = getattr(modeling_auto, _TABLE)
    except (ImportError, AttributeError):
        raise GemeingutError(
            _(
                "transformers gives no table of causal language models ({table}): which models "
                "are language models cannot be decided",
                table=_TABLE,
            ),
            _(
                "install the transformers gemeingut requires: {requirement}",
                requirement=_required(),
            ),
        ) from None
    return frozenset(name for classes in table.values() for name in _names(classes))


def _required() -> str:
    """gemeingut's requirement of transformers, as its package metadata states it."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        wanted = [r for r in requires("gemeingut") or [] if r.startswith("transformers")]
    except PackageNotFoundError:
        wanted = []
    return wanted[0] if wanted else "transformers"


def _class_names(value: ast.expr) -> list[str]:
    """The class names of `OrderedDict([(type, class), …])` (a class may be a tuple of names)."""
    if isinstance(value, ast.Call) and value.args:
        value = value.args[0]
    try:
        pairs = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError):
        return []
    names: list[str] = []
    for pair in pairs if isinstance(pairs, list) else []:
        names += _names(pair[1] if isinstance(pair, tuple) and len(pair) == 2 else ())
    return names


def _names(classes: Any) -> list[str]:
    """One class name, or the names of a tuple of them."""
    return [classes] if isinstance(classes, str) else [c for c in classes if isinstance(c, str)]
