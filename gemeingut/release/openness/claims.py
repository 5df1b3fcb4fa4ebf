"""The claims a bundle's documents make, compared with what its files show.

`verify` re-computes the rating and checks that `openness.json`, `mof.yml` and the model card
say exactly that: the card's licence, tags and openness paragraph, its parameter count (from
the safetensors headers), its evaluation numbers (from `evaluation.json`) and split table
(recounted from the shards), languages and context length; and it renders the card, NOTICE and
every derived document again (`derived.py`), so any other edit is named too. `release` runs the
same on a new bundle before handing it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import yaml

from gemeingut.errors import VerifyError
from gemeingut.i18n import Message, _, other_catalogue
from gemeingut.json_records import why_unreadable
from gemeingut.parquet_records import parquet_batches
from gemeingut.release.card import hub_licence
from gemeingut.release.card_phrases import (
    bundle_language,
    context_phrase,
    evaluation_rows,
    licence_phrase,
    parameters_phrase,
)
from gemeingut.release.differences import differences
from gemeingut.release.layout import (
    CARD,
    MODEL,
    MOF,
    OPENNESS,
    RELEASE_INFO,
    TEST_DATA,
    TRAINING_DATA,
    TRAINING_METADATA,
)
from gemeingut.release.manifest import read_manifest
from gemeingut.release.markdown_table import row
from gemeingut.release.openness.absent import Absent
from gemeingut.release.openness.check_names import check_said
from gemeingut.release.openness.data_metadata import (
    data_licence_problems,
    data_metadata_problems,
)
from gemeingut.release.openness.derived import Render, card_and_notice, derived_documents
from gemeingut.release.openness.evidence import Evidence
from gemeingut.release.openness.fields import field_problems
from gemeingut.release.openness.sentences import joined
from gemeingut.release.openness.summary import openness_sentence, openness_tags
from gemeingut.release.openness.treatment import PRE_TRAINED
from gemeingut.release.openness.write import mof_yaml
from gemeingut.release.verify_wording import OlderWording, Wording, writer_wording

_EVALUATION = f"{TRAINING_METADATA}/evaluation.json"
_METRICS = ("perplexity", "bits_per_byte", "loss")


def claim_problems(bundle: Path, evidence: Evidence, rating: dict[str, Any]) -> list[str | Message]:
    """Every place where a document of the bundle says something its files do not show."""
    problems = rating_problems(bundle, rating)
    read = read_card(bundle)
    if isinstance(read, Message):
        return [*problems, read]
    card, header = read
    language = document_language(evidence)
    problems.extend(rated_card_problems(card, header, rating, language))
    problems.extend(parameter_problems(card, evidence, language))
    problems.extend(_count_problems(bundle, card, language))
    problems.extend(_language_and_context_problems(bundle, card, header, evidence, language))
    problems.extend(
        document_problems(
            bundle, card_and_notice(bundle, rating) | derived_documents(bundle, evidence, rating)
        )
    )
    problems.extend(_evaluation_problems(bundle, header, language))
    problems.extend(
        data_metadata_problems(
            read_manifest(bundle), lambda rel: (bundle / rel).read_text(encoding="utf-8")
        )
    )
    problems.extend(data_licence_problems(bundle, evidence))
    return problems


def document_problems(bundle: Path, documents: dict[str, Render]) -> list[str | Message]:
    """Documents that name hashes, numbers and the rating (the card, NOTICE, the technical
    report, ML-BOM, SPDX document, AI Act documents, index grades): each must be the one the
    files give."""
    problems: list[str | Message] = []
    wording: list[Wording | None] = []  # the writer's words, looked up at the first difference
    for name, render in documents.items():
        path = bundle / name
        if not path.is_file():
            problems.append(Absent(_("missing: {file}", file=name), file=name))
            continue
        try:
            same = same_text(path, render())
        except (OSError, KeyError, TypeError, ValueError) as exc:
            problems.append(
                _("{file} cannot be rendered again: {error}", file=name, error=_why(exc))
            )
            continue
        if not same:
            wording = wording or [writer_wording(bundle)]
            problems.append(_in_writers_words(path, name, render, wording[0]))
    return problems


def _in_writers_words(path: Path, name: str, render: Render, wording: Wording | None) -> Message:
    """A document that differs from this version's rendering: where the bundle's writer is
    another version and the document is the same in that version's words, it says so
    (`OlderWording`: still a problem, unless a signer vouches for those words)."""
    differs = _differs_from_render(path, name, render)
    if wording is not None:
        try:
            with other_catalogue(wording.german):
                same = same_text(path, render())
        except (OSError, KeyError, TypeError, ValueError):
            same = False
        if same:
            return OlderWording(name, wording.writer, differs)
    return differs


def _differs_from_render(path: Path, name: str, render: Render) -> Message:
    """The document's first differing keys (JSON) or line, as shipped ≠ as the files give."""
    rendered = render()
    expected = rendered if isinstance(rendered, str) else "".join(rendered)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        shipped = handle.read()  # line ends as written, as `same_text` reads them
    found = differences(name, shipped, expected)
    if not found:
        return _("{file} differs from the one the files give", file=name)
    return _(
        "{file} differs from the one the files give: {differences}",
        file=name,
        differences=joined(found),  # in the language the problem is shown in
    )


def same_text(path: Path, expected: str | Iterable[str]) -> bool:
    """Whether the file holds exactly `expected`, read piece by piece as it is rendered (line
    ends as written: a carriage return is a difference, as it is to the hash)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as shipped:
        for piece in [expected] if isinstance(expected, str) else expected:
            if shipped.read(len(piece)) != piece:
                return False
        return shipped.read(1) == ""


def rating_problems(bundle: Path, rating: dict[str, Any]) -> list[str | Message]:
    shipped_path = bundle / OPENNESS
    if not shipped_path.is_file():
        return [_("missing: {file}", file=OPENNESS)]
    try:
        shipped = json.loads(shipped_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [_("{path} cannot be read: {error}", path=OPENNESS, error=why_unreadable(exc))]
    problems = []
    if shipped != rating:
        recomputed = {c["id"]: c for c in rating["checks"]}
        for check in shipped.get("checks", []):
            again = recomputed.get(check.get("id"))
            if again != check:
                problems.append(
                    _(
                        "{file}: the check {check} says {shipped}, the files give {again}",
                        file=OPENNESS,
                        check=check_said(str(check.get("id"))),
                        shipped=_state(check, again),
                        again=_state(again),
                    )
                )
        for key in ("open", "licenses", "mof", "osaid", "mof_document"):
            if shipped.get(key) != rating.get(key):
                problems.extend(
                    field_problems(OPENNESS, {key: shipped.get(key)}, {key: rating.get(key)})
                )
    problems.extend(_mof_problems(bundle / MOF, mof_yaml(rating)))
    problems.extend(_treatment_problems(bundle, rating))
    return problems


def _treatment_problems(bundle: Path, rating: dict[str, Any]) -> list[Message]:
    """`release.json`'s treatment (which the technical report shows, `pre-trained` where it
    gives none) against the one the fine-tune's record gives, as the rating computed it."""
    path = bundle / RELEASE_INFO
    try:
        stated = json.loads(path.read_text(encoding="utf-8")).get("treatment") or PRE_TRAINED
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return []  # named by the readers of the records
    computed = rating["mof_document"]["release"]["treatment"]
    if stated == computed:
        return []
    return [
        _(
            "{file} says the model is {stated!r}; its training records give {computed!r}",
            file=RELEASE_INFO,
            stated=str(stated),
            computed=computed,
        )
    ]


def _mof_problems(mof: Path, expected: str) -> list[Message]:
    """`mof.yml` against the rating's: each field that differs by its name, or else (a file
    that is no YAML, the same values in other bytes) the line."""
    if not mof.is_file():
        return [_("missing: {file}", file=MOF)]
    shipped = mof.read_text(encoding="utf-8", errors="replace")
    if shipped == expected:
        return []
    try:
        fields = field_problems(MOF, yaml.safe_load(shipped), yaml.safe_load(expected))
    except yaml.YAMLError:
        fields = []
    if fields:
        return fields
    return [
        _(
            "{file} differs from the rating of the files: {differences}",
            file=MOF,
            differences=joined(differences(MOF, shipped, expected)),
        )
    ]


def _state(check: dict[str, Any] | None, again: dict[str, Any] | None = None) -> Message:
    """A check's result and detail. The shipped detail is plain English text; where it is the
    recomputed one word for word, the recomputed `Recorded` shows it in the reader's language,
    else the catalogue's message with those words (English where none has them)."""
    from gemeingut.i18n.recognise import recognised

    if check is None:
        return _("no such check")
    detail = check.get("detail")
    if again is not None and again.get("detail") == detail:
        detail = again["detail"]
    elif isinstance(detail, str):
        detail = recognised(detail)
    if check.get("passed"):
        return _("pass ({detail})", detail=detail)
    return _("fail ({detail})", detail=detail)


def read_card(bundle: Path) -> tuple[str, dict[str, Any]] | Message:
    """The card's text and YAML header, or what keeps them from being read (a message, said
    in the language of whoever reads the problem: `verify --json` English)."""
    card_path = bundle / CARD
    if not card_path.is_file():
        return _("missing: {file} (the model card)", file=CARD)
    card = card_path.read_text(encoding="utf-8", errors="replace")
    header = card_header(card)
    if header is None:
        return _("{file}: no YAML header between '---' lines", file=CARD)
    return card, header


def document_language(evidence: Evidence) -> str:
    """The language the bundle's card was written in (`release.json`; English before the
    setting existed): the card's sentences are looked for in it."""
    return bundle_language(evidence.release)


def rated_card_problems(
    card: str, header: dict[str, Any], rating: dict[str, Any], language: str
) -> list[str | Message]:
    """The card's licence (header and text), tags and openness paragraph against the rating."""
    problems = []
    weights = rating["licenses"]["weights"]
    stated = {key: header.get(key) for key in ("license", "license_name") if key in header}
    if stated != hub_licence(str(weights)):
        problems.append(
            _(
                "{file}: licence {licence!r} but release.json says {weights!r}",
                file=CARD,
                licence=header.get("license"),
                weights=weights,
            )
        )
    if licence_phrase(weights, language) not in card:
        problems.append(
            _(
                "{file}: the text names another licence of the model than {weights!r}",
                file=CARD,
                weights=weights,
            )
        )
    missing_tags = [t for t in openness_tags(rating) if t not in (header.get("tags") or [])]
    if missing_tags:
        problems.append(
            _(
                "{file}: tags lack {tags} (computed from the rating)",
                file=CARD,
                tags=", ".join(missing_tags),
            )
        )
    if openness_sentence(rating, language) not in card:
        problems.append(
            _("{file}: the openness paragraph is not the one the rating gives", file=CARD)
        )
    return problems


def card_header(card: str) -> dict[str, Any] | None:
    parts = card.split("---", 2)
    if len(parts) < 3 or parts[0].strip():
        return None
    try:
        header = yaml.safe_load(parts[1])
    except yaml.YAMLError:
        return None
    return header if isinstance(header, dict) else None


def parameter_problems(card: str, evidence: Evidence, language: str) -> list[str | Message]:
    if evidence.parameters is None:
        return [_("model/: no safetensors weights to count the parameters of")]
    if f"), {parameters_phrase(evidence.parameters, language)}" not in card:
        return [
            _(
                "{file}: does not state the {parameters} parameters the weights hold",
                file=CARD,
                parameters=evidence.parameters,
            )
        ]
    return []


def _split_counts(bundle: Path) -> dict[str, tuple[int, int, int]]:
    """Documents, characters and UTF-8 bytes per split, counted in the shards themselves."""
    counts: dict[str, tuple[int, int, int]] = {}
    for folder, split in (
        (TRAINING_DATA, "train"),
        (TRAINING_DATA, "validation"),
        (TEST_DATA, "test"),
    ):
        docs = chars = size = 0
        for shard in sorted((bundle / folder).glob(f"{split}-*.parquet")):
            try:
                for batch in parquet_batches(shard, f"{folder}/{shard.name}", ["text"]):
                    texts = batch.column(0)
                    docs += len(texts)
                    chars += pc.sum(pc.utf8_length(texts)).as_py() or 0
                    size += pc.sum(pc.binary_length(texts)).as_py() or 0
            except (OSError, KeyError, ValueError) as exc:
                raise VerifyError(
                    _(
                        "{path} cannot be read: {problem}",
                        path=f"{folder}/{shard.name}",
                        problem=_why(exc),
                    ),
                    _("the shard is damaged; obtain an unmodified copy"),
                ) from None
        if docs:
            counts[split] = (docs, chars, size)
    return counts


def _count_problems(bundle: Path, card: str, language: str) -> list[str | Message]:
    """The card's split table (in the card's language) and the evaluation's test size, against
    the shards."""
    counts = _split_counts(bundle)
    problems = [
        _(
            "{file}: the {split} row of the split table is not what the shards hold "
            "({docs} documents, {chars} characters)",
            file=CARD,
            split=split,
            docs=str(docs),
            chars=str(chars),
        )
        for split, (docs, chars, _size) in counts.items()
        if row((split, docs, chars), language) not in card
    ]
    evaluation = bundle / _EVALUATION
    if "test" in counts and evaluation.is_file():
        results = json.loads(evaluation.read_text(encoding="utf-8"))
        docs, _chars, size = counts["test"]
        if (results.get("documents"), results.get("bytes")) != (docs, size):
            problems.append(
                _(
                    "{file}: {documents} documents and {bytes} bytes, the test shards hold "
                    "{docs} and {size}",
                    file=_EVALUATION,
                    documents=str(results.get("documents")),
                    bytes=str(results.get("bytes")),
                    docs=str(docs),
                    size=str(size),
                )
            )
    return problems


def _language_and_context_problems(
    bundle: Path, card: str, header: dict[str, Any], evidence: Evidence, language: str
) -> list[str | Message]:
    problems = []
    declared = evidence.release.get("languages") or []
    if (header.get("language") or []) != declared:
        problems.append(
            _(
                "{file}: languages {card} but release.json {declared}",
                file=CARD,
                card=str(header.get("language")),
                declared=str(declared),
            )
        )
    lineage = bundle / TRAINING_METADATA / "lineage.json"
    if lineage.is_file():
        stats = json.loads(lineage.read_text(encoding="utf-8"))["dataset"]["stats"]
        found = stats.get("kept_by_language") or {}
        absent = [lang for lang in declared if lang not in found]
        if found and absent:
            problems.append(
                _(
                    "release.json: languages {absent} but no kept document is in them",
                    absent=str(absent),
                )
            )
    config = bundle / MODEL / "config.json"
    evaluation = bundle / _EVALUATION
    if config.is_file() and evaluation.is_file():
        positions = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
        evaluated = json.loads(evaluation.read_text(encoding="utf-8")).get("context_length")
        if positions != evaluated or context_phrase(positions, language) not in card:
            problems.append(
                _(
                    "context length: config.json {positions}, evaluation {evaluated}, and the "
                    "card must say the same",
                    positions=str(positions),
                    evaluated=str(evaluated),
                )
            )
    return problems


def _evaluation_problems(
    bundle: Path, header: dict[str, Any], language: str
) -> list[str | Message]:
    path = bundle / _EVALUATION
    if not path.is_file():
        return [_("missing: {file}", file=_EVALUATION)]
    try:
        return _evaluation_claims(bundle, header, language, json.loads(path.read_text("utf-8")))
    except (KeyError, TypeError, ValueError) as exc:  # named with its file, as verify's reader
        error = _why(exc)  # names it: the same problem, listed once
        return [_("{file} cannot be read back: {error}", file=_EVALUATION, error=error)]


def _evaluation_claims(
    bundle: Path, header: dict[str, Any], language: str, results: dict[str, Any]
) -> list[str | Message]:
    stated: dict[str, float] = {}
    for entry in header.get("model-index") or []:
        for result in entry.get("results") or []:
            for metric in result.get("metrics") or []:
                if metric.get("type") in _METRICS:
                    stated.setdefault(metric["type"], metric.get("value"))
    problems = []
    card = (bundle / CARD).read_text(encoding="utf-8", errors="replace")
    problems.extend(
        _(
            "{file}: the table's {label} is not {evaluation}'s ({value})",
            file=CARD,
            label=label,
            evaluation=_EVALUATION,
            value=value,
        )
        for label, value in evaluation_rows(results, language)
        if f"| {label} | {value} |" not in card
    )
    for metric in _METRICS:
        expected = round(float(results[metric]), 6)
        if stated.get(metric) != expected:
            problems.append(
                _(
                    "{file}: {metric} {stated} but {evaluation} gives {expected}",
                    file=CARD,
                    metric=metric,
                    stated=str(stated.get(metric)),
                    evaluation=_EVALUATION,
                    expected=str(expected),
                )
            )
    return problems


def _why(exc: BaseException) -> str | Message:
    """Why a record or shard could not be read, in the reader's words (not the parser's)."""
    said = why_unreadable(exc, released=True)  # a missing field, broken JSON, a byte not UTF-8
    if isinstance(said, Message):
        return said
    if isinstance(exc, OSError):
        return _("the file cannot be read")
    return _("a value is not of the kind a release writes")
