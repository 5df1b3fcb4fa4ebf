"""The training data's own metadata names the bytes the bundle ships.

A build that publishes its dataset puts `croissant.json` and `dcat.ttl` beside the data
statement in `training-data/`. Both name the data files by name and sha256 (DCAT: one checksum
per single-file split, a download URL for each file). `verify` compares them with the
MANIFEST, whose hashes it has already checked against the bytes: a shard replaced and
re-hashed in the MANIFEST, or metadata edited to match another file, is named here (DCAT's
checksum with the distribution that gives it); shards swapped are named as such first
(`verify_swapped.py`, which reads both).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from gemeingut.data.publish import CROISSANT_FILE, DATA_STATEMENT_FILE, DCAT_FILE
from gemeingut.i18n import LANGUAGES, Message, _
from gemeingut.release.layout import FINETUNE_DATA, FINETUNE_EARLIER, TEST_DATA, TRAINING_DATA
from gemeingut.release.openness.evidence import Evidence

CROISSANT = f"{TRAINING_DATA}/{CROISSANT_FILE}"
DCAT = f"{TRAINING_DATA}/{DCAT_FILE}"
# the fine-tuning data of the released fine-tune and of each earlier one (a chain's)
_FINETUNING = (f"{TRAINING_DATA}/{FINETUNE_DATA}/", f"{TRAINING_DATA}/{FINETUNE_EARLIER}/")
_EXCLUDED = f"{TRAINING_DATA}/excluded/"  # described by Croissant, not a split of DCAT's

# file name -> (the sha256 the metadata gives, None where none; the part of the metadata that
# gives it where the file alone does not say it: DCAT's distribution)
Named = dict[str, tuple[str | None, str | None]]


def data_metadata_problems(
    listed: dict[str, str], read: Callable[[str], str]
) -> list[str | Message]:
    """`listed`: the MANIFEST (path -> sha256); `read(path)` gives a listed file's text."""
    shipped = _data_files(listed)
    problems = []
    for path, named in ((CROISSANT, _croissant_names), (DCAT, dcat_names)):
        if path in listed:
            try:
                problems += _compare(path, named(read(path)), shipped)
            except NotAnObject:
                problems.append(not_an_object(path))
            except (ValueError, KeyError, TypeError, SyntaxError) as exc:
                # rdflib's BadSyntax, for Turtle it cannot parse, is a SyntaxError
                problems.append(_("{path} cannot be read: {problem}", path=path, problem=str(exc)))
    return problems


class NotAnObject(ValueError):
    """A record that is valid JSON but not the object a release writes (a list, a number)."""


def not_an_object(path: str) -> Message:
    return _("{path} does not hold a JSON object", path=path)


def json_object(text: str) -> dict[str, Any]:
    """A record's JSON object; `NotAnObject` where it holds anything else."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise NotAnObject(type(value).__name__)
    return value


def _data_files(listed: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The pretraining data's Parquet files by name: shards and the exclusions list (the
    fine-tuning data is the fine-tune's own, described by its record, not the dataset's)."""
    return {
        PurePosixPath(path).name: (path, digest)
        for path, digest in listed.items()
        if path.endswith(".parquet")
        and path.startswith((f"{TRAINING_DATA}/", f"{TEST_DATA}/"))
        and not path.startswith(_FINETUNING)
    }


def _compare(source: str, named: Named, shipped: dict[str, tuple[str, str]]) -> list[str | Message]:
    problems = []
    for name, (digest, part) in sorted(named.items()):
        if name not in shipped:
            problems.append(
                _("{source} names {name}, which the bundle does not hold", source=source, name=name)
            )
        elif digest is not None and digest.lower() != shipped[name][1]:
            problems.append(_other_digest(source, part, name, digest, shipped[name]))
    problems += [
        _("{path} is not described in {source}", path=path, source=source)
        for name, (path, _digest) in sorted(shipped.items())
        if name not in named and not path.startswith(_EXCLUDED)
    ]
    return problems


def _other_digest(
    source: str, part: str | None, name: str, digest: str, shipped: tuple[str, str]
) -> Message:
    """A file's sha256 in `source` (in its `part`, where it has one) against the bytes'."""
    path, actual = shipped
    if part is None:
        return _(
            "{source} gives {name} the sha256 {digest}…, but {path} has {actual}…",
            source=source, name=name, digest=digest[:12], path=path, actual=actual[:12],
        )  # fmt: skip
    return _(
        "{source}: {part} gives {name} the sha256 {digest}…, but {path} has {actual}…",
        source=source, part=part, name=name, digest=digest[:12], path=path, actual=actual[:12],
    )  # fmt: skip


def _croissant_names(text: str) -> Named:
    document = json_object(text)
    return {
        PurePosixPath(str(item["contentUrl"])).name: (item.get("sha256"), None)
        for item in document.get("distribution", [])
        if isinstance(item, dict) and item.get("@type") == "cr:FileObject"
    }


def dcat_names(text: str) -> Named:
    """Each distribution's download URLs, with the distribution (`distribution-train`); its
    checksum belongs to the file when it has one (a checksum over several files is none a
    downloader can check)."""
    from rdflib import Graph

    from gemeingut.data.publish.dcat import DCAT as DCAT_NS
    from gemeingut.data.publish.dcat import SPDX

    graph = Graph().parse(data=text, format="turtle")
    named: Named = {}
    for distribution in graph.subjects(predicate=DCAT_NS.downloadURL, unique=True):
        urls = sorted(str(u) for u in graph.objects(distribution, DCAT_NS.downloadURL))
        values = [
            str(graph.value(checksum, SPDX.checksumValue))
            for checksum in graph.objects(distribution, SPDX.checksum)
        ]
        part = str(distribution).rsplit("#", 1)[-1]
        for url in urls:
            name = PurePosixPath(unquote(urlparse(url).path)).name
            named[name] = (values[0] if len(urls) == 1 and values else None, part)
    return named


def shard_licences(evidence: Evidence) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """The documents per licence of the dataset's shards (training and test data, not the
    fine-tuning data, which its own record describes): in all, and by shard file name."""
    counts: Counter[str] = Counter()
    by_name: dict[str, Counter[str]] = {}
    for data in (evidence.training_data, evidence.test_data):
        for file, licences in data.per_file.items():
            if not file.startswith(_FINETUNING):
                counts.update(licences)
                by_name[PurePosixPath(file).name] = licences
    return counts, by_name


def data_licence_problems(bundle: Path, evidence: Evidence) -> list[str | Message]:
    """The licences the data's own documents state (the data statement's header and licence
    table, Croissant's and DCAT's licences) must be those the shards' `license` column gives:
    a licence edited in any of them, with the MANIFEST re-hashed, is named. `stats.json`'s
    licence table is counted again with its other tables (`verify_stats_counts.py`)."""
    from gemeingut.data.publish.licenses import combine_licences

    counts, by_name = shard_licences(evidence)
    root = bundle / TRAINING_DATA
    try:
        problems = _stated_licence_problems(root, counts, combine_licences(counts))
        if (root / DCAT_FILE).is_file():
            problems += _dcat_licence_problems(
                (root / DCAT_FILE).read_text(encoding="utf-8"), counts, by_name
            )
        return problems
    except NotAnObject as exc:
        return [not_an_object(f"{TRAINING_DATA}/{exc.args[0]}")]
    except SyntaxError as exc:  # rdflib's BadSyntax, for Turtle it cannot parse
        return [_("{path} cannot be read: {problem}", path=DCAT, problem=str(exc))]


def _stated_licence_problems(
    root: Path, counts: Counter[str], expression: str
) -> list[str | Message]:
    from gemeingut.data.publish.croissant import croissant_licences

    problems: list[str | Message] = []
    ordered = dict(counts.most_common())  # the order the statement's table lists them in
    stats_path = root / "stats.json"
    if stats_path.is_file():  # its counts are checked row by row (`verify_stats_counts.py`)
        stated = _object_file(stats_path).get("kept_by_license", {})
        ordered = stated if Counter(stated) == counts else ordered
    statement = root / DATA_STATEMENT_FILE
    if statement.is_file() and not _states(statement.read_text(encoding="utf-8"), ordered):
        problems.append(_differs(f"{TRAINING_DATA}/{DATA_STATEMENT_FILE}", None, counts))
    croissant = root / CROISSANT_FILE
    if croissant.is_file():
        stated = _object_file(croissant).get("license")
        if stated != croissant_licences(expression):
            problems.append(_differs(CROISSANT, stated, counts))
    return problems


def _object_file(path: Path) -> dict[str, Any]:
    """`json_object` of a file; its `NotAnObject` names the file."""
    try:
        return json_object(path.read_text(encoding="utf-8"))
    except NotAnObject:
        raise NotAnObject(path.name) from None


def _states(statement: str, counts: dict[str, int]) -> bool:
    """The header's corpus licence and the licence table, in the statement's language."""
    from gemeingut.data.publish.data_statement import Words, licence_table
    from gemeingut.data.publish.licenses import combine_licences

    header = statement.split("\n---\n", 1)[0] + "\n"
    if f"corpus_licence: {json.dumps(combine_licences(counts))}\n" not in header:
        return False
    total = sum(counts.values())
    return any(licence_table(Words(lang), counts, total) in statement for lang in LANGUAGES)


def _dcat_licence_problems(
    text: str, counts: Counter[str], by_name: dict[str, Counter[str]]
) -> list[str | Message]:
    """The dataset's and each distribution's dcterms:license (the licence GovData reads and
    shows) and rights statement, against the licences of the shards each of them holds. Every
    node that states a licence is checked, whatever its type: a dataset retyped as a catalog,
    or a distribution no dataset links, would otherwise state any licence unchecked."""
    from rdflib import Graph
    from rdflib.namespace import DCTERMS, RDF

    from gemeingut.data.publish.dcat import DCAT as DCAT_NS

    graph = Graph().parse(data=text, format="turtle")
    problems: list[str | Message] = []
    datasets = sorted(graph.subjects(RDF.type, DCAT_NS.Dataset))
    if len(datasets) != 1:
        problems.append(
            _(
                "{path} describes {count} dcat:Dataset, not exactly one",
                path=DCAT,
                count=len(datasets),
            )
        )
    distributions = set(graph.subjects(RDF.type, DCAT_NS.Distribution))
    distributions |= set(graph.objects(None, DCAT_NS.distribution))
    for distribution in sorted(distributions):
        held: Counter[str] = Counter()
        for url in graph.objects(distribution, DCAT_NS.downloadURL):
            held.update(by_name.get(PurePosixPath(unquote(urlparse(str(url)).path)).name, {}))
        name = str(distribution).rsplit("#", 1)[-1]
        problems += _stated_in_dcat(graph, distribution, name, held)
    stating = set(graph.subjects(DCTERMS.license, None)) | set(graph.subjects(DCTERMS.rights, None))
    for subject in sorted(stating - distributions):  # the dataset, or whatever else states one
        what = _("the dataset") if subject in datasets else str(subject).rsplit("#", 1)[-1]
        problems += _stated_in_dcat(graph, subject, what, counts)
    for dataset in datasets:
        if dataset not in stating:
            problems += _stated_in_dcat(graph, dataset, _("the dataset"), counts)
    return problems


def _stated_in_dcat(
    graph: Any, subject: Any, what: str | Message, held: Counter[str]
) -> list[str | Message]:
    from rdflib.namespace import DCTERMS, RDFS

    from gemeingut.data.publish.licenses import (
        GOVDATA_OTHER_OPEN,
        combine_licences,
        govdata_licence,
        licence_atoms,
    )

    kept = [licence for licence, n in held.items() if n > 0]
    expected = govdata_licence(kept)
    atoms = {atom for licence in kept for atom in licence_atoms(licence)}
    # `other-open` is true of documents under several open licences, whichever governs them
    # (what gemeingut wrote for them before it named the governing one)
    allowed = [[expected]]
    if len(atoms) > 1:
        allowed.append([GOVDATA_OTHER_OPEN])
    stated = sorted(str(uri) for uri in graph.objects(subject, DCTERMS.license))
    problems: list[str | Message] = []
    if stated not in allowed:
        problems.append(
            _(
                "{path}: {what} has the dcterms:license {stated}, but the shards it holds give "
                "{expected} ({found})",
                path=DCAT,
                what=what,
                stated=", ".join(stated) or "—",
                expected=expected,
                found=_found(held),
            )
        )
    rights = sorted(
        str(label).removeprefix("SPDX: ")
        for statement in graph.objects(subject, DCTERMS.rights)
        for label in graph.objects(statement, RDFS.label)
    )
    if rights != [combine_licences(held)]:
        problems.append(
            _(
                "{path}: {what} states the rights {stated}, but the shards it holds give {found}",
                path=DCAT,
                what=what,
                stated=", ".join(rights) or "—",
                found=_found(held),
            )
        )
    return problems


def _found(counts: Counter[str]) -> str:
    return ", ".join(f"{licence} ({n})" for licence, n in sorted(counts.items()))


def _differs(path: str, stated: object, counts: Counter[str]) -> Message:
    found = _found(counts)
    if stated is None:
        return _(
            "{path} states other licences than the shards hold: {found}", path=path, found=found
        )
    return _(
        "{path} states the licences {stated}, but the shards hold {found}",
        path=path,
        stated=json.dumps(stated, ensure_ascii=False),
        found=found,
    )
