"""croissant.json: Croissant 1.0 metadata with the Responsible-AI (RAI) extension.

The file sits beside `shards/`, so `contentUrl`s are relative and `mlcroissant` can read the
records straight from a local copy; a release bundle, which lays the files out differently,
ships a `relocated` copy whose paths are the bundle's. Each shard is a FileObject with its
sha256; one FileSet gathers all shards for the `documents` record set, whose `split` field
comes from the file name and references the `splits` record set (cr:Split), so a reader can
ask for the train split only. mlcroissant applies that field's transform twice (to the file
name as the join key, then to the joined value), so its pattern reads the split from either.
RAI fields appear only when the recipe provides their prose.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from gemeingut.data.publish.facts import DataFile, DatasetFacts
from gemeingut.data.publish.licenses import licence_atoms, licence_url
from gemeingut.data.publish.metadata import PublicationInfo
from gemeingut.data.shards import SHARD_DIR
from gemeingut.data.splits import SPLITS

CROISSANT_1_0 = "http://mlcommons.org/croissant/1.0"
RAI_1_0 = "http://mlcommons.org/croissant/RAI/1.0"
PARQUET = "application/x-parquet"
SHARD_SET = "parquet-shards"

# The standard @context of Croissant 1.0 (as in the spec's examples), plus the RAI prefix.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# Parquet column -> (Croissant data type, description).
DOCUMENT_FIELDS = {
    "id": ("sc:Text", "Document id, unique in the dataset."),
    "text": ("sc:Text", "The document text (Unicode NFC)."),
    "source": ("sc:Text", "Name of the source the document came from."),
    "license": ("sc:Text", "SPDX licence expression of the document."),
    "url": ("sc:Text", "Where the document was published (may be empty)."),
    "attribution": ("sc:Text", "Attribution text that the licence requires (may be empty)."),
}
EXCLUSION_FIELDS = {
    "id": "Id of the excluded document or record.",
    "source": "Source it came from.",
    "location": "File and line or row it was read from.",
    "reason": "Reason code, e.g. licence-non-commercial or duplicate.",
    "license": "Licence expression as given (may be empty).",
    "detail": "Human-readable explanation.",
}
_SPLIT_URLS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit",
               "test": "cr:TestSplit"}  # fmt: skip
# The split of a shard's file name (`train-00000.parquet`), and of the split's own name, which
# the pattern is applied to again once the name was read from it (see the module's docstring).
SPLIT_PATTERN = "^(" + "|".join(SPLITS) + ")(?:-.*\\.parquet)?$"

# Croissant RAI property -> PublicationInfo prose field (each only when provided).
RAI_FIELDS = {
    "rai:dataCollection": "collection_process",
    "rai:dataPreprocessingProtocol": "preprocessing_notes",
    "rai:annotatorDemographics": "annotator_demographic",
    "rai:dataBiases": "data_biases",
    "rai:dataLimitations": "limitations",
    "rai:dataUseCases": "intended_uses",
    "rai:dataSocialImpact": "social_impact",
    "rai:personalSensitiveInformation": "personal_sensitive_information",
    "rai:dataReleaseMaintenancePlan": "maintenance_plan",
}


def build_croissant(facts: DatasetFacts, info: PublicationInfo) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_1_0, RAI_1_0],
        "name": info.title(),
        "description": info.description(),
        "url": str(info.landing_page or info.download_url),
        "license": croissant_licences(facts.licence),
        "publisher": [_organisation(info)],
    }
    optional = {
        "datePublished": info.issued.isoformat() if info.issued else None,
        "dateCreated": facts.created,
        "version": info.version,
        "citeAs": info.citation,
        "keywords": info.keywords or None,
        "inLanguage": info.languages or None,
        "creator": [{"@type": "sc:Person", "name": c} for c in info.curators] or None,
    }
    doc.update({key: value for key, value in optional.items() if value is not None})
    doc.update(_rai(facts, info))
    doc["distribution"] = _distribution(facts)
    doc["recordSet"] = _record_sets(facts)
    return doc


def croissant_licences(expression: str) -> list[Any]:
    """One entry per licence that applies (the corpus licence is their AND)."""
    result: list[Any] = []
    for atom in licence_atoms(expression):
        url = licence_url(atom)
        result.append(url if url else {"@type": "sc:CreativeWork", "name": atom})
    return result


def _organisation(info: PublicationInfo) -> dict[str, Any]:
    org: dict[str, Any] = {"@type": "sc:Organization", "name": info.publisher_name}
    if info.publisher_uri:
        org["url"] = str(info.publisher_uri)
    if info.contact_email:
        org["email"] = info.contact_email
    return org


def _rai(facts: DatasetFacts, info: PublicationInfo) -> dict[str, Any]:
    rai: dict[str, Any] = {key: info.prose(field) for key, field in RAI_FIELDS.items()}
    stats = facts.stats
    reasons = ", ".join(f"{r}: {n:,}" for r, n in stats.get("excluded_by_reason", {}).items())
    protocol = (
        f"Curated with {facts.code} (dataset artifact {facts.id}, whose artifact.json records "
        f"the parameters). {stats['documents_in']:,} documents read, {stats['kept']:,} kept, "
        f"{stats['excluded']:,} excluded ({reasons or 'none'}); every exclusion is recorded in "
        "exclusions.parquet."
    )
    notes = rai["rai:dataPreprocessingProtocol"]
    rai["rai:dataPreprocessingProtocol"] = [protocol, notes] if notes else [protocol]
    return {key: value for key, value in rai.items() if value is not None}


def relocated(document: dict[str, Any], place: dict[str, str]) -> dict[str, Any]:
    """The same metadata for a copy of the files in another layout (a release bundle's):
    `place` maps each file's path here (`shards/train-00000.parquet`) to its path from the
    new croissant.json. The shards' FileSet then gathers the shards that lie beside the new
    file, by split (readers match a FileSet's globs below the file's own folder only, and
    `*` crosses folders there); a shard elsewhere (a bundle's test split in ../test-data/)
    stays a FileObject with its relative URL, read by a record set of its own, so that its
    documents are read too."""
    moved = json.loads(json.dumps(document))
    beside, elsewhere = set(), []
    for item in moved["distribution"]:
        if item.get("@type") == "cr:FileObject":
            item["contentUrl"] = new = place[item["contentUrl"]]
            split = PurePosixPath(new).name.split("-", 1)[0]
            if split in SPLITS and "/" in new:
                elsewhere.append(item)
            elif split in SPLITS:
                beside.add(f"{split}-*.parquet")
    for item in moved["distribution"]:
        if item.get("@id") == SHARD_SET:
            item["includes"] = sorted(beside)
    if elsewhere:
        documents = next(r for r in moved["recordSet"] if r["@id"] == "documents")
        documents["description"] = (
            "One record per kept document in the shards beside this file; those of "
            + ", ".join(PurePosixPath(item["contentUrl"]).name for item in elsewhere)
            + " are read by the record sets named after them."
        )
        moved["recordSet"] += [_read_from(documents, item) for item in elsewhere]
    return moved


def _read_from(documents: dict[str, Any], shard: dict[str, Any]) -> dict[str, Any]:
    """The `documents` record set read from the one shard `shard` (a FileObject), as
    `documents-<name>` (`documents-test-00000`), its fields named after it."""
    name = PurePosixPath(shard["contentUrl"]).name
    record_set = f"documents-{name.removesuffix('.parquet')}"
    fields = []
    for field in documents["field"]:
        copied = {**field, "@id": field["@id"].replace("documents/", f"{record_set}/", 1)}
        source = {k: v for k, v in field["source"].items() if k != "fileSet"}
        copied["source"] = {"fileObject": {"@id": shard["@id"]}, **source}
        fields.append(copied)
    return {
        **documents,
        "@id": record_set,
        "name": record_set,
        "description": f"One record per kept document of {shard['contentUrl']}.",
        "key": {"@id": f"{record_set}/id"},
        "field": fields,
    }


def _file_object(file: DataFile, description: str) -> dict[str, Any]:
    return {
        "@type": "cr:FileObject",
        "@id": file.path,
        "name": file.name,
        "description": description,
        "contentUrl": file.path,
        "contentSize": f"{file.bytes} B",
        "encodingFormat": PARQUET,
        "sha256": file.sha256,
    }


def _distribution(facts: DatasetFacts) -> list[dict[str, Any]]:
    files = [
        _file_object(shard, f"Shard of the {shard.split} split, {shard.rows:,} documents.")
        for shard in facts.shards
    ]
    files.append(
        {
            "@type": "cr:FileSet",
            "@id": SHARD_SET,
            "name": SHARD_SET,
            "description": "All document shards; the split is the prefix of the file name.",
            "encodingFormat": PARQUET,
            "includes": f"{SHARD_DIR}/*.parquet",
        }
    )
    if facts.exclusions is not None:
        files.append(
            _file_object(facts.exclusions, "Every document read but not kept, with its reason.")
        )
    return files


def _record_sets(facts: DatasetFacts) -> list[dict[str, Any]]:
    splits = {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": "The splits of the dataset.",
        "dataType": "cr:Split",
        "key": {"@id": "splits/name"},
        "field": [
            _field("splits/name", "name", "sc:Text", "Split name."),
            _field("splits/url", "url", "sc:URL", "Croissant split type."),
        ],
        "data": [{"splits/name": s, "splits/url": _SPLIT_URLS[s]} for s in SPLITS],
    }
    split_field = _field("documents/split", "split", "sc:Text", "Split of the document.")
    split_field["source"] = {
        "fileSet": {"@id": SHARD_SET},
        "extract": {"fileProperty": "filename"},
        "transform": {"regex": SPLIT_PATTERN},
    }
    split_field["references"] = {"field": {"@id": "splits/name"}}
    documents = {
        "@type": "cr:RecordSet",
        "@id": "documents",
        "name": "documents",
        "description": "One record per kept document.",
        "key": {"@id": "documents/id"},
        "field": [
            _column_field("documents", column, data_type, description, "fileSet", SHARD_SET)
            for column, (data_type, description) in DOCUMENT_FIELDS.items()
        ]
        + [split_field],
    }
    record_sets = [splits, documents]
    if facts.exclusions is not None:
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": "exclusions",
                "name": "exclusions",
                "description": "One record per document read but not kept; no text.",
                "field": [
                    _column_field(
                        "exclusions", column, "sc:Text", text, "fileObject", facts.exclusions.path
                    )
                    for column, text in EXCLUSION_FIELDS.items()
                ],
            }
        )
    return record_sets


def _field(field_id: str, name: str, data_type: str, description: str) -> dict[str, Any]:
    return {
        "@type": "cr:Field",
        "@id": field_id,
        "name": name,
        "description": description,
        "dataType": data_type,
    }


def _column_field(
    record_set: str, column: str, data_type: str, description: str, kind: str, source: str
) -> dict[str, Any]:
    field = _field(f"{record_set}/{column}", column, data_type, description)
    field["source"] = {kind: {"@id": source}, "extract": {"column": column}}
    return field
