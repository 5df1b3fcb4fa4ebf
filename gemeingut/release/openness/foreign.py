"""Rating a model folder that gemeingut did not build: a Hugging Face folder, or a fine-tune of
one, with whatever it holds (card, licence, config, weights, papers, data, code).

Only what is in the folder counts, and only with content (`file_content.py`): an empty
`train.py` is no training code. The card and its licence are read as `model finetune` reads
them (`card_header.py`): its YAML header's `license` (a list: all of them apply), else a
LICENSE file whose text we recognise; where the two disagree, both apply, the licence check
fails, and no component under them counts as openly licensed in any rating (MOF, OSAID, index,
FMTI); so too where the LICENSE file adds terms to the licence's whole text (a rider such as the
"Commons Clause": `licence_additions.py`), which makes it another licence than the one named.
The header's `model-index` counts as evaluation results where a result has a metric value; a
card section about evaluation ("## Evaluation", "## Evaluierung") where it holds results (decimal
numbers, percentages); a card section about the training data (or a data card file) counts as
the data card where it names evidence of the data, not where it refuses to say what it is
(`data_information.py`); terms of its own (`license: other`) that restrict use are named from
the LICENSE text (`text_restrictions.py`); an arXiv link as a paper whose licence is unknown
(so not open); datasets the header names (`datasets:`) but the folder lacks are said as named
and not checked. A folder with no config, weights or card holds no model and is refused. A
Hugging Face cache snapshot's links into its `blobs` are its files. A model type that
transformers implements has its architecture in transformers (Apache-2.0); remote code
(`auto_map`) is the folder's own `.py` files, under the card's licence. A GGUF file's metadata
(`general.license`, `general.architecture`) is evidence as a LICENSE file is; a card whose
licence asks for its text to be shipped is checked for a LICENSE file, and a LICENSE file whose
text we do not know is said, not passed over. A folder gemeingut fine-tuned is rated with its
records and its base (`foreign_finetune.py`), a foreign fine-tune with the base its files name
(`foreign_base.py`). The result says, per
class, what is missing or not openly licensed: what a procurement officer has to ask the
publisher for; the folder asked about is graded on the European Open Source AI Index and the
FMTI indicators too (`foreign_indices.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, plural, recorded
from gemeingut.json_records import read_object
from gemeingut.model.card_header import (
    CARD_FILE,
    Card,
    NamedLicence,
    all_apply,
    covers,
    is_other,
    named_licence,
    read_card,
)
from gemeingut.model.loading import ADAPTER_CONFIG, FINETUNE_FILE
from gemeingut.release.openness.audit_evidence import (
    Audits,
    judged_audits,
    results_said,
    task_data,
)
from gemeingut.release.openness.audit_task_code import task_code, with_said
from gemeingut.release.openness.data_information import assess
from gemeingut.release.openness.data_information import said as data_said
from gemeingut.release.openness.file_content import DATA, evidenced, joined, missing, noted
from gemeingut.release.openness.folder_data_licence import DataLicence
from gemeingut.release.openness.foreign_base import foreign_lineage, given_base
from gemeingut.release.openness.foreign_finetune import (
    TRANSFORMERS_LICENCE,
    Lineage,
    adapter_architecture,
    base_rating,
    carry,
    data_licence_check,
    derived_licence,
    lineage_named,
    lineage_said,
    read_lineage,
    with_base_licence,
)
from gemeingut.release.openness.foreign_indices import FolderFacts, foreign_indices
from gemeingut.release.openness.gguf_metadata import LLAMA_CPP_LICENCE, GGUFFacts, gguf_facts
from gemeingut.release.openness.licence_text import folder_added_terms, licence_text_check
from gemeingut.release.openness.licences import Openness, content_licence
from gemeingut.release.openness.mof import Component, Found, components, found
from gemeingut.release.openness.paper import as_paper
from gemeingut.release.openness.result import OSAID_CODE, assemble, check, osaid_gate
from gemeingut.release.openness.text_restrictions import restricted_said, text_restrictions
from gemeingut.release.openness.use_restrictions import use_restrictions

CARD = CARD_FILE
_DATA_HEADING = re.compile(
    r"^#{1,4}\s*(training data|training datasets?|datasets?|data|trainingsdaten|daten)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ANY_HEADING = re.compile(r"^#{1,4}\s", re.MULTILINE)
_EVAL_HEADING = re.compile(
    r"^#{1,4}\s*(evaluation( results)?|results|benchmarks?|evaluierung|evaluation|"
    r"ergebnisse|auswertung|bewertung)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_RESULT = re.compile(r"(?<![\w.,])\d+[.,]\d+(?:\s?%)?(?![\w.,]*\d)|(?<![\w.,])\d+\s?%")
_SHOWN_VALUES = 4
_ARXIV = re.compile(r"https?://arxiv\.org/(?:abs|pdf)/\d{4}\.\d{4,5}", re.IGNORECASE)
# Folder entries (globs) that stand for a component when present with content.
_FILES: dict[str, tuple[str, ...]] = {
    "Model parameters (Final)": ("*.safetensors", "pytorch_model*.bin", "*.gguf"),
    "Model parameters (Intermediate)": ("checkpoints/*", "snapshots/*", "checkpoint-*/*"),
    "Model metadata": (
        "trainer_state.json",
        "training_args.*",
        "training_config*.*",
        "finetune.json",
    ),
    "Datasets": (
        "data/train*",
        "training-data/*",
        "data/**/*.parquet",
        "data/**/*.jsonl",
        "training-data/**/*.parquet",
        "training-data/**/*.jsonl",
    ),
    "Data card": ("DATA_STATEMENT.md", "DATASHEET.md", "data_card.md"),
    "Technical report": ("TECHNICAL_REPORT.md", "technical_report*.pdf", "*tech*report*.pdf"),
    "Research paper": ("paper/*", "*.pdf"),
    "Training code": ("train*.py", "training-code/*", "scripts/train*.py"),
    "Data preprocessing code": ("preprocess*.py", "data_prep*.py", "scripts/prepare*.py"),
    "Evaluation code": ("eval*.py", "scripts/eval*.py"),
    "Evaluation data": ("test-data/*", "data/test*", "eval_data/*"),
    "Inference code": ("inference*.py", "generate*.py", "serve*.py"),
    "Supporting libraries and tools": ("requirements*.txt", "environment.yml", "*.lock"),
    "Sample model outputs": ("samples/*", "outputs/*"),
}


def rate_folder(
    folder: Path,
    files: list[str] | None = None,
    name: str | None = None,
    depth: int = 0,
    base: Path | None = None,
) -> dict[str, Any]:
    """The openness result of a foreign model folder (same shape as a bundle's). `files`: the
    relative paths the model's folder holds, where `folder` is a copy of only its card, config
    and licence files (a fine-tune's bundle describes its base so); `name`: the model's name
    where its card names none; `depth`: how many bases down from the folder first rated (a
    fine-tune's rating rates its base); `base`: the folder of the base model a fine-tune names
    (`--base`)."""
    if not folder.is_dir():
        raise InputError(
            _("{path} is not a folder", path=str(folder)),
            _("pass a model folder (config.json, weights, README.md)"),
        )
    listing = files if files is not None else _files_below(folder)
    if files is None:
        _require_model(folder, listing)
    card = read_card(folder)
    gguf = gguf_facts(folder, listing) if files is None else None
    own = named_licence(folder, card)
    stated = _with_gguf(own, gguf)  # what the folder's own files say: its licence text's check
    named = lineage_named(folder, stated) if files is None else stated
    lineage = _lineage(folder, card, given_base(base)) if files is None else None
    licence, licence_source, why = named.licence, named.evidence, lineage_said(named)
    if lineage is not None:
        licence, licence_source, why = derived_licence(lineage, named)
    config = _config(folder)
    header = card.header if card is not None else {}
    data_licence = lineage.data_licence if lineage is not None and lineage.recorded else licence
    added = folder_added_terms(own, folder)  # a rider on the licence's text: other terms
    restricted = _text_restricted(folder, own)  # terms of its own that restrict use
    terms = _Terms(licence, _unclear(named) if named.disagreement else _added(added or restricted))
    audits = judged_audits(folder, listing)  # hashes the folder's files where it holds one
    parts = [
        _component(c, folder, listing, card, config, terms, data_licence, lineage, gguf, audits)
        for c in components()
    ]
    if lineage is not None:
        parts = carry(parts, lineage, base_rating(lineage, depth, _rate_base))
        parts = _unchecked_base(parts, lineage, why)
    by_name = {p.component.name: p for p in parts}
    data_card = by_name["Data card"]
    osaid = osaid_gate(parts, data_card.present, data_card.detail)
    checks = [
        _licence_check(
            licence, licence_source, named, why, lineage, added or restricted, _says_other(card)
        ),
        *licence_text_check(own if own.licence else stated, folder),  # GGUF's: no text to ship
        _weights_check(by_name["Model parameters (Final)"], folder.name),
    ]
    tuning = lineage.data_said if lineage is not None else None  # gemeingut's fine-tune
    if tuning is not None:
        checks.append(data_licence_check(tuning))
    kinds = {
        "weights": licence,
        "documents": licence,
        "code": _code_licence(parts, config),
        "data": tuning.licence
        if tuning is not None
        else by_name["Datasets"].licence
        if by_name["Datasets"].present
        else None,
    }
    release = {
        "name": header.get("model_name") or name or folder.resolve().name,
        "authors": [],
        "treatment": lineage.treatment if lineage is not None else "pre-trained",
    }
    result = assemble(parts, kinds, checks, osaid, release, _gate_evidence(parts, folder.name))
    result["licenses_unknown"] = _unknown_licences(kinds, tuning)
    _own_paths(result["mof_document"]["release"], licence_source, config, by_name, lineage)
    if lineage is not None and not lineage.recorded:
        result["base_model"] = _base_said(lineage)
    if files is None and depth == 0:  # the folder asked about, not a base rated for it
        facts = FolderFacts(
            listing=listing,
            card=card,
            config=config,
            own_data=_matches(listing, _FILES["Datasets"]),
            base=lineage.base if lineage is not None else None,
            base_checked=lineage is not None and not lineage.base_unchecked,
            unclear=terms.verdict.detail if terms.verdict is not None else None,
            data_said=tuning.said if tuning is not None else None,
        )
        result |= foreign_indices(folder, result, facts)
    return result


def _lineage(folder: Path, card: Card | None, base: Path | None) -> Lineage | None:
    """gemeingut's record of a fine-tune (its base's folder moved where `base` is given), else
    the base a foreign fine-tune's files name."""
    lineage = read_lineage(folder)
    if lineage is None:
        return foreign_lineage(folder, card, base)
    if base is not None:
        lineage = replace(lineage, base={**lineage.base, "path": str(base.resolve())})
    return with_base_licence(lineage)


def _with_gguf(named: NamedLicence, gguf: GGUFFacts | None) -> NamedLicence:
    """The folder's licence with what its GGUF metadata says: the GGUF's where nothing else
    names one; both, and a disagreement, where the card names another."""
    if gguf is None or gguf.licence is None:
        return named
    if named.licence is None:
        return replace(named, licence=gguf.licence, source="GGUF metadata", evidence=gguf.file)
    if named.disagreement or covers(named.licence, gguf.licence):
        return named
    return replace(
        named,
        licence=all_apply([named.licence, gguf.licence]),
        source="card and GGUF metadata",
        evidence=f"{named.evidence}, {gguf.file}",
        file=(gguf.licence, gguf.file),
    )


def _text_restricted(folder: Path, named: NamedLicence) -> Message | None:
    """The use restrictions the folder's LICENSE text states, where its terms are not a
    licence known by its id (`license: other`, a text gemeingut does not recognise), whose
    restrictions `use_restrictions` names: read from the text, not guessed from a name."""
    name = named.unrecognised or (named.file[1] if named.file is not None else None)
    if name is None or use_restrictions(named.licence) is not None:
        return None
    if named.unrecognised is None and not is_other(named.licence):
        return None
    found = text_restrictions((folder / name).read_text(encoding="utf-8", errors="replace"))
    return restricted_said(name, found) if found else None


def _unchecked_base(parts: list[Found], lineage: Lineage, why: Message | None) -> list[Found]:
    """A foreign fine-tune whose base's licence is not here: its weights are not shown to be
    openly licensed, whatever its own card claims."""
    if not lineage.base_unchecked:
        return parts
    return [
        replace(p, licence_open=False, detail=recorded(joined([p.detail, why])))
        if p.component.name == "Model parameters (Final)" and p.present and why is not None
        else p
        for p in parts
    ]


def _base_said(lineage: Lineage) -> dict[str, Any]:
    """The base a foreign fine-tune names, for the record (--json)."""
    return {
        "name": lineage.base_name,
        "named_in": lineage.declared_in,
        "path": lineage.base.get("path"),
        "license": lineage.base.get("license"),
        "license_checked": not lineage.base_unchecked,
    }


def _gate_evidence(parts: list[Found], folder_name: str) -> str:
    """The files the OSAID gate was judged from (the folder's name where it holds none)."""
    names = ("Data card", *OSAID_CODE, "Model parameters (Final)")
    by_name = {p.component.name: p for p in parts}
    paths = dict.fromkeys(path for name in names for path in by_name[name].paths)
    return ", ".join(paths) or folder_name


def _require_model(folder: Path, listing: list[str]) -> None:
    """A folder without a configuration, weights or card holds no model to rate: rating it
    would list every component as missing, as if it were a model that withholds all."""
    weights = _FILES["Model parameters (Final)"]
    if {CARD, "config.json", FINETUNE_FILE, ADAPTER_CONFIG} & set(listing) or _matches(
        listing, weights
    ):
        return
    raise InputError(
        _(
            "{path} holds no model: no config.json, no weights ({patterns}) and no model card "
            "({card})",
            path=str(folder),
            patterns=", ".join(weights),
            card=CARD,
        ),
        _(
            "pass a model folder: in the Hugging Face layout it holds config.json, the weights "
            "(model.safetensors) and the card README.md"
        ),
    )


def _weights_check(weights: Found, folder_name: str) -> dict[str, Any]:
    """Weights with content in the folder; where there are none, why (empty files, a base
    that is gone)."""
    if weights.present:
        said = _("model weights in the folder: {files}", files=", ".join(weights.paths))
        return check("weights.present", True, ", ".join(weights.paths), said)
    return check("weights.present", False, folder_name, weights.detail)


def _rate_base(folder: Path, depth: int) -> dict[str, Any]:
    return rate_folder(folder, depth=depth)


def _licence_check(
    licence: str | None,
    source: str,
    named: NamedLicence,
    why: Message | None,
    lineage: Lineage | None,
    added: Message | None = None,
    other: bool = True,
) -> dict[str, Any]:
    """The weights' licence: open, and said one way (a card and a LICENSE file that disagree
    leave it unclear which terms the publisher grants: both apply, and the check fails; a
    LICENSE file that adds terms to the licence's text grants another licence); a foreign
    fine-tune's only where its base's licence was read. `other`: whether the card says
    `license: other` (else it names a LicenseRef itself)."""
    verdict = content_licence(licence)
    unchecked = lineage is not None and lineage.base_unchecked
    said: list[Message | str] = [] if unchecked and verdict.open else [verdict.detail]
    if is_other(named.card) and licence == named.card and not use_restrictions(licence):
        said = [_own_terms(licence, other)]
    if named.disagreement:  # what fails is the disagreement: "both are open" would not say it
        said = [_unclear(named).detail, *([] if verdict.open else [verdict.detail])]
    if added is not None:
        said = [added]
    if why is not None:
        said.insert(0, why)
    passed = verdict.open and not named.disagreement and not unchecked and added is None
    return check("licence.weights", passed, source, joined(said))


@dataclass(frozen=True)
class _Terms:
    """The licence the folder states for its own files, and its verdict where the name alone
    does not give it (None: judged by its name, for the component's kind)."""

    licence: str | None
    verdict: Openness | None


def _unclear(named: NamedLicence) -> Openness:
    """The folder's terms where its card and a licence file (or GGUF metadata) name different
    licences: unclear, so nothing under them counts as openly licensed, even where each of the
    two is open (which one the publisher grants is not known)."""
    said = _(
        "{card_file} names {card}, but {file} holds {other}: they disagree, so it is "
        "unclear under which terms the publisher grants the weights; ask the publisher "
        "which licence is meant",
        card_file=CARD,
        card=str(named.card),
        file=named.file[1],
        other=named.file[0],
    )
    return Openness(False, recorded(said))


def _own_terms(licence: str, other: bool) -> Message:
    """The card's licence is a LicenseRef: `license: other`, or a licence it names that is not
    on the SPDX list. Either way its text decides, and a person has to judge it."""
    if other:
        return _(
            "{file} names no standard licence (license: other): whether its terms are open "
            "is not checked",
            file=CARD,
        )
    return _(
        "{file} names {licence}, a licence that is not on the SPDX list: whether its terms are "
        "open is for a person to judge from its text; not open unless that is shown",
        file=CARD,
        licence=licence,
    )


def _says_other(card: Card | None) -> bool:
    """Whether the card's `license` is (or lists) `other`."""
    value = card.header.get("license") if card is not None else None
    return any(
        str(v).strip().lower() == "other" for v in (value if isinstance(value, list) else [value])
    )


def _added(added: Message | None) -> Openness | None:
    """The folder's terms where its LICENSE file adds to the licence's text, or its own terms
    restrict use: not open, so nothing under them counts as openly licensed."""
    return Openness(False, recorded(added)) if added is not None else None


def _own_paths(
    document: dict[str, Any],
    licence_source: str,
    config: dict[str, Any],
    by_name: dict[str, Found],
    lineage: Lineage | None,
) -> None:
    """The MOF document's licence paths: the folder's own files that state each licence (none
    where the folder has no such file, e.g. code that transformers holds; a fine-tune's
    data: the records its licence was read from)."""
    datasets, tuning = by_name["Datasets"], lineage.data_said if lineage is not None else None
    paths = {
        "distribution": licence_source,
        "document": licence_source,
        "code": licence_source if config.get("auto_map") else None,
        "data": tuning.evidence
        if tuning is not None
        else ", ".join(datasets.paths)
        if datasets.present
        else None,
    }
    for kind, path in paths.items():
        document["license"][kind]["path"] = path
    if lineage is not None and lineage.base_name:  # an unnamed base: no origin claimed
        document["origin"] = lineage.base_name


def _config(folder: Path) -> dict[str, Any]:
    return read_object(folder / "config.json", _("fix or re-download config.json")) or {}


def _code_licence(parts: list[Found], config: dict[str, Any]) -> str | None:
    """The licence of the code the folder holds: its own modules (remote code, training or
    inference scripts), under its terms; none where it holds none. The code a model type runs
    on in transformers or llama.cpp is not in the folder, so its licence is not the folder's
    code licence (it is said with the architecture)."""
    held = [
        p
        for p in parts
        if p.component.content_type == "code"
        and p.present
        and (p.component.name != "Model architecture" or config.get("auto_map"))
    ]
    return held[0].licence if held else None


def _unknown_licences(kinds: dict[str, str | None], tuning: DataLicence | None) -> dict[str, str]:
    """Why a kind of the folder's files has no licence: the folder holds none of them, or (a
    fine-tune's data) its records say none (a `Recorded` message, in the reader's language)."""
    why = {
        "code": _("no code in the folder"),
        "data": tuning.said if tuning is not None else _("no training data in the folder"),
    }
    return {kind: recorded(said) for kind, said in why.items() if kinds.get(kind) is None}


def _component(
    component: Component,
    folder: Path,
    listing: list[str],
    card: Card | None,
    config: dict[str, Any],
    terms: _Terms,
    data_licence: str | None,
    lineage: Lineage | None,
    gguf: GGUFFacts | None,
    audits: Audits,
) -> Found:
    name, licence, verdict = component.name, terms.licence, terms.verdict
    if name == "Model architecture":
        if not config and gguf is not None and gguf.architecture:
            return _gguf_architecture(component, gguf)
        return _architecture(component, folder, listing, config, terms, lineage)
    if name == "Model card":
        return evidenced(component, folder, [CARD] if CARD in listing else [], licence, verdict)
    if name == "Evaluation results":
        part = _evaluation(component, card, terms)
        return part if part.present else _audited(part, audits, terms)
    paths = _matches(listing, _FILES.get(name, ()))
    if name == "Evaluation data":  # the items an audit copied into the folder scored
        paths = sorted({*paths, *task_data(listing, audits.reports)})
    if name == "Evaluation code":  # the lm-eval tasks an audit copied into the folder ran
        return _with_task_code(component, folder, listing, paths, terms, audits)
    own = name not in DATA or data_licence == licence  # under the folder's own terms
    if name == "Research paper" and paths:  # by the paper's rule, as in a bundle
        part = _paper(found(component, paths, licence, verdict), folder)
    else:
        part = evidenced(
            component, folder, paths, licence if own else data_licence, verdict if own else None
        )
    if name == "Data card" and part.present:
        part = _data_files(part, folder, card)
    if part.present or card is None:
        return part
    if name == "Data card":
        return _data_card(component, card, terms, part, bool(paths))
    if name == "Datasets" and not paths:
        return _named_datasets(part, card)
    links = sorted(set(_ARXIV.findall(card.text)))
    if name == "Research paper" and links:
        return found(component, links, None)  # licence of an external paper: unknown
    return part


def _paper(part: Found, folder: Path) -> Found:
    """`paper/` read as one folder (its text files count together: a LaTeX project's
    sections), another PDF alone; the evidence is the files."""
    read = sorted({"paper" if p.startswith("paper/") else p for p in part.paths})
    judged = as_paper(replace(part, paths=tuple(read)), folder)
    return replace(judged, paths=part.paths) if judged.present else judged


def _with_task_code(
    component: Component,
    folder: Path,
    listing: list[str],
    paths: list[str],
    terms: _Terms,
    audits: Audits,
) -> Found:
    """Evaluation code: the folder's scripts, and the task files of its audits where they are
    as the audit left them (`audit_task_code.py`), said either way."""
    code = task_code(folder, listing, audits.reports)
    part = evidenced(component, folder, sorted({*paths, *code.paths}), terms.licence, terms.verdict)
    return with_said(part, code, [part.detail] if paths else [])  # why its scripts do not count


def _gguf_architecture(component: Component, gguf: GGUFFacts) -> Found:
    """The architecture a GGUF file names, which llama.cpp implements."""
    said = _(
        "{file} names the architecture {architecture} (general.architecture), which llama.cpp "
        "implements",
        file=gguf.file,
        architecture=gguf.architecture,
    )
    return noted(found(component, [gguf.file], LLAMA_CPP_LICENCE), said)


def _data_files(part: Found, folder: Path, card: Card | None) -> Found:
    """Data card files that hold text count only where they name evidence of the data
    (`data_information.py`); a PDF's text is not read here, it counts as it is."""
    named = _header_datasets(card) if card is not None else []
    kept, said = [], []
    for rel in part.paths:
        if not rel.lower().endswith((".md", ".txt")):
            kept.append(rel)
            continue
        info = assess((folder / rel).read_text(encoding="utf-8", errors="replace"), named)
        said.append(data_said(info, rel))
        if info.counts:
            kept.append(rel)
    if kept:
        return replace(part, paths=tuple(kept), detail=recorded(joined([*said, part.detail])))
    return Found(part.component, (), part.licence, False, recorded(joined(said)))


def _header_datasets(card: Card) -> list[str]:
    """The dataset ids the card's header names (`datasets:`)."""
    named = card.header.get("datasets")
    return [str(n) for n in (named if isinstance(named, list) else [named]) if n]


def _named_datasets(part: Found, card: Card) -> Found:
    """Datasets the card's header names (`datasets:`) that are not in the folder: named, and
    not checked (whether they are public, complete and under the licences said needs the Hub)."""
    names = _header_datasets(card)
    if not names:
        return part
    said = _(
        "not in the folder (named in {file}: {names}; not checked)",
        file=CARD,
        names=", ".join(names),
    )
    return replace(part, detail=recorded(said))


def _audited(card_said: Found, audits: Audits, terms: _Terms) -> Found:
    """The evaluation results of gemeingut audits in the folder (`audit_evidence.py`), where
    the card has none (`card_said`: what it lacks)."""
    reports = audits.reports
    if not reports:  # an audit of another model, or of this one since changed: said why not
        refused = audits.not_counted
        return noted(card_said, joined(refused)) if refused else card_said
    said = joined([results_said(rel, report) for rel, report in reports.items()])
    part = found(card_said.component, list(reports), terms.licence, terms.verdict)
    return noted(part, said)


def _evaluation(component: Component, card: Card | None, terms: _Terms) -> Found:
    """The card's `model-index`, where a result has a metric value; else a section of the card
    about evaluation that holds results."""
    index = card.header.get("model-index") if card is not None else None
    if not index:
        return _evaluation_section(component, card, terms)
    values = _metric_values(index)
    if not values:
        said = _("{file}: its model-index holds no result with a metric value", file=CARD)
        return Found(component, (), terms.licence, False, recorded(said))
    said = plural(
        values,
        _("model-index in {file}: 1 metric value", file=CARD),
        _("model-index in {file}: {count} metric values", file=CARD, count=values),
    )
    return noted(found(component, [CARD], terms.licence, terms.verdict), said)


def _evaluation_section(component: Component, card: Card | None, terms: _Terms) -> Found:
    """A card section about evaluation with results in it (decimal numbers, percentages: a
    score, not a year or a list's number), said with where it is and what it holds."""
    for heading, body in _sections(card.text if card is not None else "", _EVAL_HEADING):
        values = _RESULT.findall(body)
        if not values:
            continue
        said = plural(
            len(values),
            _(
                "section {heading!r} of {file}: 1 result ({values})",
                heading=heading,
                file=CARD,
                values=values[0],
            ),
            _(
                "section {heading!r} of {file}: {count} results ({values})",
                heading=heading,
                file=CARD,
                count=len(values),
                values=", ".join(values[:_SHOWN_VALUES]),
            ),
        )
        return noted(found(component, [CARD], terms.licence, terms.verdict), said)
    return missing(component, terms.licence)


def _sections(card: str, headings: re.Pattern[str]) -> list[tuple[str, str]]:
    """The card's sections under a heading `headings` matches: (heading, body)."""
    found = []
    for match in headings.finditer(card):
        rest = card[match.end() :]
        following = _ANY_HEADING.search(rest)
        found.append(
            (match.group(0).lstrip("#").strip(), rest[: following.start()] if following else rest)
        )
    return found


def _metric_values(index: Any) -> int:
    results = [
        result
        for entry in (index if isinstance(index, list) else [])
        if isinstance(entry, dict)
        for result in (entry.get("results") or [])
        if isinstance(result, dict)
    ]
    metrics = [m for r in results for m in (r.get("metrics") or []) if isinstance(m, dict)]
    return sum(1 for m in metrics if _is_number(m.get("value")))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _data_card(
    component: Component, card: Card, terms: _Terms, files: Found, examined: bool
) -> Found:
    """A card section about the training data, unless it is too short or withholds the data;
    `files`: the data card files found (`examined`: there were some, none with content)."""
    heading, said, reason = _data_section(card.text, _header_datasets(card))
    if not heading:
        return files
    if said is not None:
        return noted(found(component, [CARD], terms.licence, terms.verdict), said)
    detail = joined([files.detail, reason]) if examined else reason
    return Found(component, (), terms.licence, False, recorded(detail))


def folder_architecture(component: Component, folder: Path, licence: str | None) -> Found:
    """The architecture of the model in `folder`, from its config.json: the licence of the code
    that defines it (transformers', or the folder's own modules; `licence`: theirs)."""
    listing, config = _files_below(folder), _config(folder)
    return _architecture(component, folder, listing, config, _Terms(licence, None), None)


def _architecture(
    component: Component,
    folder: Path,
    listing: list[str],
    config: dict[str, Any],
    terms: _Terms,
    lineage: Lineage | None,
) -> Found:
    if not config and lineage is not None and lineage.adapter:
        return adapter_architecture(component, lineage, _in_transformers)
    if not config:
        return missing(component, None)
    if config.get("auto_map"):  # remote code: the folder's own modules
        code = _matches(listing, ("*.py",))
        return evidenced(component, folder, code, terms.licence, terms.verdict)
    model_type = config.get("model_type")
    if model_type and _in_transformers(model_type):
        said = _(
            "config.json names the model type {model_type}, which transformers implements",
            model_type=str(model_type),
        )
        return noted(found(component, ["config.json"], TRANSFORMERS_LICENCE), said)
    said = _(
        "config.json names the model type {model_type}, which transformers does not implement, "
        "and no code for it",
        model_type=str(model_type),
    )
    return Found(component, (), None, False, recorded(said))


@cache
def _transformers_model_types() -> frozenset[str]:
    """The model types transformers implements, found without importing it (importing
    transformers imports torch: seconds and hundreds of MB that `verify` and `openness rate`
    must not need): its table of config classes where it keeps one in a module of its own
    (plain data), and the model folders, one per type (`xlm-roberta` in `xlm_roberta/`)."""
    from importlib.util import find_spec, module_from_spec, spec_from_file_location

    found = find_spec("transformers")
    if found is None or found.origin is None:
        return frozenset()
    models = Path(found.origin).parent / "models"
    types = {
        folder.name
        for folder in models.iterdir()
        if folder.is_dir() and any(folder.glob("configuration_*.py"))
    }
    table = models / "auto" / "auto_mappings.py"
    if table.is_file():
        spec = spec_from_file_location("_transformers_auto_mappings", table)
        if spec is not None and spec.loader is not None:
            module = module_from_spec(spec)
            spec.loader.exec_module(module)
            types |= set(getattr(module, "CONFIG_MAPPING_NAMES", {}))
    return frozenset(types)


def _in_transformers(model_type: str) -> bool:
    return model_type in _transformers_model_types() or (
        model_type.replace("-", "_") in _transformers_model_types()
    )


def _files_below(folder: Path) -> list[str]:
    """Every regular file below `folder`. Links are not its files, except in a Hugging Face
    cache snapshot (`models--ORG--NAME/snapshots/REV`), whose every file links into the
    model's own `blobs`."""
    blobs = folder.resolve().parent.parent / "blobs"
    cached = folder.resolve().parent.name == "snapshots" and blobs.is_dir()
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and (not path.is_symlink() or (cached and path.resolve().is_relative_to(blobs)))
    )


def _matches(listing: list[str], patterns: tuple[str, ...]) -> list[str]:
    """The listed files a pattern names, segment by segment as `Path.glob` matches."""
    return sorted(
        rel
        for rel in listing
        if any(_glob_match(rel.split("/"), pattern.split("/")) for pattern in patterns)
    )


def _glob_match(parts: list[str], pattern: list[str]) -> bool:
    """`**` stands for any number of folders (a dataset's `shards/` below its own folder)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_glob_match(parts[skip:], pattern[1:]) for skip in range(len(parts)))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _glob_match(parts[1:], pattern[1:])


def _data_section(
    card: str, named: list[str] | None = None
) -> tuple[str, Message | None, Message | None]:
    """A card section about the training data: its heading ("": none), what it names (None:
    no section counts) and why it does not count (None: it does); `named`: the datasets the
    card's header names."""
    heading, reason = "", None
    for heading, body in _sections(card, _DATA_HEADING):
        info = assess(body, named)
        where = _("section {heading!r} of {file}", heading=heading, file=CARD)
        if info.counts:
            return heading, data_said(info, where), None
        reason = data_said(info, where)
    return heading, None, reason
