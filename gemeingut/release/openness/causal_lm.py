"""Which model classes are causal language models: the ones transformers' own table
(`MODEL_FOR_CAUSAL_LM_MAPPING_NAMES`, what `AutoModelForCausalLM` loads) names, not a name's
suffix (GPT-2's class is `GPT2LMHeadModel`, BLOOM's `BloomForCausalLM`).

The table is read from transformers' source without importing it: importing the module that
holds it imports torch, seconds and hundreds of MB that `verify` and `openness rate` must not
need. It is plain data (model type → class name) in `models/auto/modeling_auto.py`.
"""

from __future__ import annotations

import ast
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

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
    """The class names of transformers' causal-LM table (none where transformers is missing
    or keeps the table elsewhere: then no config is taken for a causal language model)."""
    found = find_spec("transformers")
    if found is None or found.origin is None:
        return frozenset()
    source = Path(found.origin).parent / "models" / "auto" / "modeling_auto.py"
    if not source.is_file():
        return frozenset()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == _TABLE for t in node.targets
        ):
            return frozenset(_class_names(node.value))
    return frozenset()


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
        classes = pair[1] if isinstance(pair, tuple) and len(pair) == 2 else ()
        names += [classes] if isinstance(classes, str) else [c for c in classes if c]
    return names
