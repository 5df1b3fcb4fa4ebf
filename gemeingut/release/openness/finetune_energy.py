"""The energy of a fine-tune as its documents state it: the fine-tuning's as its record measured
it (`finetune.json`'s `energy`, with its method), the base model's pretraining as the base's own
files state it, or that they do not. Nothing is estimated for the base: its training is its
provider's to state. A fine-tune recorded before gemeingut measured fine-tuning has no energy,
and its documents say it is not recorded.

The Hugging Face card has no field for energy; its `co2_eq_emissions` (grams of CO₂) is the one
footprint a base's card header can state, and it is quoted where present. Its text is not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gemeingut.model.card_header import CARD_FILE, read_card
from gemeingut.model.energy import recorded_kwh
from gemeingut.release.layout import FINETUNE_RECORD

NOT_RECORDED = (
    f"not recorded: {FINETUNE_RECORD} has no energy (fine-tuned before gemeingut measured a "
    "fine-tuning's energy)"
)
NOT_STATED = "not stated by the base"
_CO2_FIELDS = ("emissions", "source", "training_type", "geographical_location", "hardware_used")


def tuning_energy(record: dict[str, Any]) -> dict[str, Any] | None:
    """The fine-tuning run's measured energy (with its method), None where not recorded."""
    energy = record.get("energy")
    return energy if recorded_kwh(energy) is not None else None


def tuning_consumption(record: dict[str, Any]) -> dict[str, Any]:
    """The fine-tuning's kWh and how they were measured, or that they were not recorded."""
    energy = tuning_energy(record)
    if energy is None:
        return {"kwh": NOT_RECORDED, "method": NOT_RECORDED}
    return {"kwh": recorded_kwh(energy), "method": energy.get("method") or NOT_RECORDED}


def base_statement(base_dir: Path) -> str | dict[str, Any]:
    """What the base model's card (its copy in `base_dir`) states of its training's
    footprint: its `co2_eq_emissions` where the header holds them, else NOT_STATED."""
    card = read_card(base_dir) if (base_dir / CARD_FILE).is_file() else None
    stated = card.header.get("co2_eq_emissions") if card is not None else None
    if _number(stated):
        stated = {"emissions": stated}
    if not isinstance(stated, dict) or not _number(stated.get("emissions")):
        return NOT_STATED
    return {
        "kwh": NOT_STATED,
        "co2_eq_emissions": {
            key: stated[key]
            for key in _CO2_FIELDS
            if isinstance(stated.get(key), str) or _number(stated.get(key))
        },
        "unit": "grams of CO2 equivalent, as the Hugging Face card's co2_eq_emissions",
        "evidence": f"{base_dir.name}/{CARD_FILE} (co2_eq_emissions)",
    }


def base_said(statement: str | dict[str, Any]) -> str:
    """The statement in one line (for a comment or an indicator)."""
    if isinstance(statement, str):
        return statement
    grams = statement["co2_eq_emissions"]["emissions"]
    return f"{NOT_STATED} (its card states {grams} g CO2 equivalent: {statement['evidence']})"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
