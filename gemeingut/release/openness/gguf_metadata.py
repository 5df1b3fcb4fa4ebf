"""What a GGUF file says about its model: its licence and architecture, as evidence for
`openness rate` on a folder that holds one (a folder of only GGUF files has no card or config,
and a card and a GGUF that name different licences disagree as a card and a LICENSE file do).

The keys are llama.cpp's (`general.license`, `general.architecture`); only the header is read
(the reader maps the file, the tensors stay on disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.model.card_header import canonical

# llama.cpp implements every architecture a GGUF names; its code is under MIT.
LLAMA_CPP_LICENCE = "MIT"


@dataclass(frozen=True)
class GGUFFacts:
    file: str  # the GGUF file's path in the folder
    licence: str | None  # `general.license`, as SPDX spells it where it is an SPDX id
    architecture: str | None  # `general.architecture`


def gguf_facts(folder: Path, paths: list[str]) -> GGUFFacts | None:
    """The facts of the first GGUF file among `paths` that states a licence or an architecture."""
    for rel in sorted(p for p in paths if p.lower().endswith(".gguf")):
        if (folder / rel).stat().st_size == 0:  # an empty file: the weights' check says so
            continue
        facts = _read(folder, rel)
        if facts.licence or facts.architecture:
            return facts
    return None


def _read(folder: Path, rel: str) -> GGUFFacts:
    import gguf

    try:
        reader = gguf.GGUFReader(folder / rel)
    except (ValueError, OSError, IndexError) as error:  # not GGUF, or cut short
        raise InputError(
            _("{path} cannot be read as GGUF: {error}", path=str(folder / rel), error=str(error)),
            _("re-download or re-export the file"),
        ) from None
    licence = _text(reader, "general.license")
    return GGUFFacts(
        rel, canonical(licence) if licence else None, _text(reader, "general.architecture")
    )


def _text(reader: object, key: str) -> str | None:
    field = reader.fields.get(key)  # type: ignore[attr-defined]
    value = field.contents() if field is not None else None
    return value.strip() or None if isinstance(value, str) else None
