"""The training data's own metadata names the bytes the bundle ships.

A build that publishes its dataset puts `croissant.json` and `dcat.ttl` beside the data
statement in `training-data/`. Both name the data files by name and sha256 (DCAT: one checksum
per single-file split, a download URL for each file). `verify` compares them with the
MANIFEST, whose hashes it has already checked against the bytes: a shard replaced and
re-hashed in the MANIFEST, or metadata edited to match another file, is named here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

from gemeingut.data.publish import CROISSANT_FILE, DCAT_FILE
from gemeingut.i18n import Message, _
from gemeingut.release.layout import TEST_DATA, TRAINING_DATA

CROISSANT = f"{TRAINING_DATA}/{CROISSANT_FILE}"
DCAT = f"{TRAINING_DATA}/{DCAT_FILE}"
_FINETUNING = f"{TRAINING_DATA}/finetuning/"
_EXCLUDED = f"{TRAINING_DATA}/excluded/"  # described by Croissant, not a split of DCAT's

Named = dict[str, str | None]  # file name -> the sha256 the metadata gives (None: none given)


def data_metadata_problems(
    listed: dict[str, str], read: Callable[[str], str]
) -> list[str | Message]:
    """`listed`: the MANIFEST (path -> sha256); `read(path)` gives a listed file's text."""
    shipped = _data_files(listed)
    problems = []
    for path, named in ((CROISSANT, _croissant_names), (DCAT, _dcat_names)):
        if path in listed:
            try:
                problems += _compare(path, named(read(path)), shipped)
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(_("{path} cannot be read: {problem}", path=path, problem=str(exc)))
    return problems


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
    for name, digest in sorted(named.items()):
        if name not in shipped:
            problems.append(
                _("{source} names {name}, which the bundle does not hold", source=source, name=name)
            )
        elif digest is not None and digest.lower() != shipped[name][1]:
            problems.append(
                _(
                    "{source} gives {name} the sha256 {digest}…, but {path} has {actual}…",
                    source=source,
                    name=name,
                    digest=digest[:12],
                    path=shipped[name][0],
                    actual=shipped[name][1][:12],
                )
            )
    problems += [
        _("{path} is not described in {source}", path=path, source=source)
        for name, (path, _digest) in sorted(shipped.items())
        if name not in named and not path.startswith(_EXCLUDED)
    ]
    return problems


def _croissant_names(text: str) -> Named:
    document = json.loads(text)
    return {
        PurePosixPath(str(item["contentUrl"])).name: item.get("sha256")
        for item in document.get("distribution", [])
        if item.get("@type") == "cr:FileObject"
    }


def _dcat_names(text: str) -> Named:
    """Each distribution's download URLs; its checksum belongs to the file when it has one."""
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
        for url in urls:
            name = PurePosixPath(unquote(urlparse(url).path)).name
            named[name] = values[0] if len(urls) == 1 and values else None
    return named
