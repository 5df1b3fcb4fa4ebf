"""Which filters run and with which thresholds: the recipe's `[data.filters]` table.

Each filter is `true` (German defaults), `false` (off) or a table of thresholds that replace
the defaults, e.g. `gopher_quality = { min_words = 20 }`; unknown keys are refused by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from gemeingut.data.filters.fineweb import FineWebQuality
from gemeingut.data.filters.gopher import GopherQuality, GopherRepetition
from gemeingut.data.filters.language import LanguageFilter
from gemeingut.data.filters.unicode import FixUnicode
from gemeingut.i18n import _

# In the order they run: repair first, so that language and quality see the real text.
FILTERS: dict[str, type] = {
    "fix_unicode": FixUnicode,
    "language": LanguageFilter,
    "gopher_quality": GopherQuality,
    "gopher_repetition": GopherRepetition,
    "fineweb_quality": FineWebQuality,
}

FilterChoice = bool | dict[str, Any]


class FilterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fix_unicode: FilterChoice = True
    language: FilterChoice = True
    gopher_quality: FilterChoice = True
    gopher_repetition: FilterChoice = True
    fineweb_quality: FilterChoice = True

    @model_validator(mode="after")
    def _known_thresholds(self) -> FilterSettings:
        for name, block in FILTERS.items():
            choice = getattr(self, name)
            if isinstance(choice, dict):
                known = {f.name for f in dataclasses.fields(block) if f.init} - {"name"}
                unknown = sorted(set(choice) - known)
                if unknown:
                    raise ValueError(
                        _(
                            "{name}: unknown settings {unknown}; known: {known}",
                            name=name,
                            unknown=", ".join(unknown),
                            known=", ".join(sorted(known)),
                        )
                    )
        return self

    def blocks(self) -> list[Any]:
        """The enabled filter blocks, in running order."""
        built = []
        for name, block in FILTERS.items():
            choice = getattr(self, name)
            if choice is True:
                built.append(block())
            elif isinstance(choice, dict):
                built.append(block(**{k: _tuples(v) for k, v in choice.items()}))
        return built


def _tuples(value: Any) -> Any:
    """TOML arrays arrive as lists; the blocks take tuples (hashable, immutable settings)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
