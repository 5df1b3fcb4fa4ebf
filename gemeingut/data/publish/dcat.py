"""dcat.ttl: the dataset as a DCAT-AP.de 3.0 dcat:Dataset, ready for GovData.

One dcat:Distribution per split (Parquet). DCAT-AP allows one dcterms:license, one checksum
and one byte size per distribution, so:
- the licence is GovData's URI for the split's governing licence: the one its documents share,
  or the only one among theirs that demands the most (CC-BY-SA-4.0 beside CC-BY-4.0 and CC0),
  whose terms kept for every document honour all of theirs; GovData's `other-open` where two
  demand the most or GovData's vocabulary lacks the licence. The exact SPDX expression is always
  in dcterms:rights, and the attribution texts in dcatde:licenseAttributionByText (Konvention
  35);
- a split in one shard gets that file's sha256; a split in several shards lists each as a
  dcat:downloadURL and has no checksum (the per-file sha256 are in manifest.json and
  croissant.json), since a checksum over several files is something no downloader can check.
The dataset itself carries the corpus licence in the same way.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, XSD

from gemeingut.data.documents import DOCUMENT_COLUMNS
from gemeingut.data.publish.facts import DatasetFacts
from gemeingut.data.publish.licenses import govdata_licence, licence_atoms, needs_attribution
from gemeingut.data.publish.metadata import PublicationInfo
from gemeingut.i18n import Message, _, numeral, plural, text

DCAT = Namespace("http://www.w3.org/ns/dcat#")  # open namespace: DCAT 3 adds dcat:version
DCATAP = Namespace("http://data.europa.eu/r5r/")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
PARQUET_FORMAT = URIRef(EU + "file-type/PARQUET")
PARQUET_MEDIA_TYPE = URIRef(
    "https://www.iana.org/assignments/media-types/application/vnd.apache.parquet"
)
COMPLETED = URIRef("http://purl.org/adms/status/Completed")
PUBLIC = URIRef(EU + "access-right/PUBLIC")
MAX_ATTRIBUTIONS_LISTED = 10

# Two-letter BCP-47 language -> EU language authority code (ISO 639-3, upper case); three-letter
# subtags (nds, hsb, dsb, frr ...) are already ISO 639-3 and are only upper-cased.
_EU_LANGUAGES = {
    "de": "DEU", "en": "ENG", "fr": "FRA", "it": "ITA", "es": "SPA", "nl": "NLD", "pl": "POL",
    "da": "DAN", "cs": "CES", "sv": "SWE", "pt": "POR", "tr": "TUR", "ru": "RUS", "uk": "UKR",
    "ar": "ARA", "el": "ELL", "ro": "RON", "hu": "HUN", "fi": "FIN", "bg": "BUL", "hr": "HRV",
}  # fmt: skip
LABEL_LANGUAGES = ("de", "en")  # GovData's readers first: each free text in German and English
_SPLIT_TITLES = {
    "train": ("Trainingsdaten", "training split"),
    "validation": ("Validierungsdaten", "validation split"),
    "test": ("Testdaten", "test split"),
}


def build_dcat(facts: DatasetFacts, info: PublicationInfo) -> Graph:
    graph = _graph()
    base = str(info.download_url).rstrip("/") + "/"
    dataset = URIRef(str(info.dataset_uri) if info.dataset_uri else base + "dcat.ttl#dataset")
    add = graph.add
    add((dataset, RDF.type, DCAT.Dataset))
    _add_texts(graph, dataset, DCTERMS.title, info.title_de, info.title_en)
    _add_texts(graph, dataset, DCTERMS.description, info.description_de, info.description_en)
    add((dataset, DCTERMS.publisher, _publisher(graph, info)))
    add((dataset, DCTERMS.accessRights, PUBLIC))
    if facts.id:
        add((dataset, DCTERMS.identifier, Literal(facts.id)))
    if facts.created:
        add((dataset, DCTERMS.modified, Literal(facts.created, datatype=XSD.dateTime)))
    if info.issued:
        add((dataset, DCTERMS.issued, Literal(info.issued.isoformat(), datatype=XSD.date)))
    if info.version:
        add((dataset, DCAT.version, Literal(info.version)))
    if info.landing_page:
        add((dataset, DCAT.landingPage, URIRef(str(info.landing_page))))
    if info.contributor_id:
        add((dataset, DCATDE.contributorID, URIRef(str(info.contributor_id))))
    for keyword in info.keywords:
        add((dataset, DCAT.keyword, Literal(keyword)))
    for theme in info.themes:
        add((dataset, DCAT.theme, URIRef(f"{EU}data-theme/{theme}")))
    for language in _eu_languages(info.languages):
        add((dataset, DCTERMS.language, language))
    if info.contact_email:
        add((dataset, DCAT.contactPoint, _contact(graph, info)))
    _add_licence(graph, dataset, "corpus", facts.stats.get("kept_by_license", {}))
    add((dataset, DCTERMS.provenance, _provenance(graph, facts)))
    for split in facts.splits:
        distribution = URIRef(f"{base}dcat.ttl#distribution-{split}")
        add((dataset, DCAT.distribution, distribution))
        _add_distribution(graph, distribution, facts, info, split, base)
    return graph


def render_dcat(facts: DatasetFacts, info: PublicationInfo) -> str:
    return build_dcat(facts, info).serialize(format="turtle")


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT), ("dcatap", DCATAP), ("dcatde", DCATDE), ("dcterms", DCTERMS),
        ("foaf", FOAF), ("adms", ADMS), ("spdx", SPDX), ("vcard", VCARD), ("rdfs", RDFS),
    ):  # fmt: skip
        graph.bind(prefix, namespace, replace=True)
    return graph


def _add_texts(graph: Graph, subject: URIRef, predicate: URIRef, de: str, en: str | None) -> None:
    graph.add((subject, predicate, Literal(de.strip(), lang="de")))
    if en and en.strip():
        graph.add((subject, predicate, Literal(en.strip(), lang="en")))


def _publisher(graph: Graph, info: PublicationInfo) -> URIRef | BNode:
    agent = URIRef(str(info.publisher_uri)) if info.publisher_uri else BNode("publisher")
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(info.publisher_name)))
    return agent


def _contact(graph: Graph, info: PublicationInfo) -> BNode:
    contact = BNode("contact")
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{info.contact_email}")))
    if info.contact_name:
        graph.add((contact, VCARD.fn, Literal(info.contact_name)))
    return contact


def _eu_languages(tags: list[str]) -> list[URIRef]:
    primary = [tag.split("-")[0].lower() for tag in tags]
    codes = {code.upper() if len(code) == 3 else _EU_LANGUAGES.get(code) for code in primary}
    return [URIRef(f"{EU}language/{code}") for code in sorted(c for c in codes if c)]


def _provenance(graph: Graph, facts: DatasetFacts) -> BNode:
    stats = facts.stats
    reasons = list(stats.get("excluded_by_reason", {}).items())
    provenance = BNode("provenance")
    graph.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    for language in LABEL_LANGUAGES:
        listed = ", ".join(f"{r}: {numeral(n, language)}" for r, n in reasons) or _("none")
        counted = {
            "code": facts.code,
            "sources": plural(
                len(facts.sources),
                _("from the source {names}", names=", ".join(facts.sources)),
                _("from the sources {names}", names=", ".join(facts.sources)),
            ),
            "read": stats["documents_in"],
            "kept": stats["kept"],
            "excluded": stats["excluded"],
            "reasons": listed,
        }
        label = plural(
            stats["documents_in"],
            _("Curated with {code} {sources}: {read} document read, {kept} "
              "kept, {excluded} excluded ({reasons}). Every exclusion is recorded in "
              "exclusions.parquet; see DATA_STATEMENT.md.", **counted),
            _("Curated with {code} {sources}: {read} documents read, {kept} "
              "kept, {excluded} excluded ({reasons}). Every exclusion is recorded in "
              "exclusions.parquet; see DATA_STATEMENT.md.", **counted),
        )  # fmt: skip
        graph.add((provenance, RDFS.label, Literal(text(label, language), lang=language)))
    return provenance


def _add_licence(graph: Graph, subject: URIRef, key: str, counts: dict[str, int]) -> None:
    """GovData licence URI plus the exact SPDX expression as a rights statement."""
    expressions = [licence for licence, n in counts.items() if n > 0]
    graph.add((subject, DCTERMS.license, URIRef(govdata_licence(expressions))))
    atoms = sorted({atom for expression in expressions for atom in licence_atoms(expression)})
    rights = BNode(f"rights-{key}")
    graph.add((subject, DCTERMS.rights, rights))
    graph.add((rights, RDF.type, DCTERMS.RightsStatement))
    graph.add((rights, RDFS.label, Literal(f"SPDX: {' AND '.join(atoms)}")))


def _add_distribution(
    graph: Graph,
    distribution: URIRef,
    facts: DatasetFacts,
    info: PublicationInfo,
    split: str,
    base: str,
) -> None:
    add = graph.add
    shards = facts.split_shards(split)
    totals = facts.stats["splits"][split]
    title_de, title_en = _SPLIT_TITLES.get(split, (split, split))
    add((distribution, RDF.type, DCAT.Distribution))
    add((distribution, DCTERMS.title, Literal(f"{title_de} (Parquet)", lang="de")))
    add((distribution, DCTERMS.title, Literal(f"{title_en} (Parquet)", lang="en")))
    counted = {
        "documents": totals["documents"],
        "characters": totals["characters"],
        "files": _parquet_files(len(shards)),
        "columns": ", ".join(DOCUMENT_COLUMNS),
    }
    description = plural(
        totals["documents"],
        _("{documents} document, {characters} characters in {files} with the columns {columns}.",
          **counted),
        _("{documents} documents, {characters} characters in {files} with the columns {columns}.",
          **counted),
    )  # fmt: skip
    for language in LABEL_LANGUAGES:
        said = Literal(text(description, language), lang=language)
        add((distribution, DCTERMS.description, said))
    urls = [URIRef(base + shard.path) for shard in shards]
    add((distribution, DCAT.accessURL, urls[0] if len(urls) == 1 else URIRef(base)))
    for url in urls:
        add((distribution, DCAT.downloadURL, url))
    add((distribution, DCTERMS.format, PARQUET_FORMAT))
    add((distribution, DCAT.mediaType, PARQUET_MEDIA_TYPE))
    size = sum(shard.bytes for shard in shards)
    add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    if len(shards) == 1:
        checksum = BNode(f"checksum-{split}")
        add((distribution, SPDX.checksum, checksum))
        add((checksum, RDF.type, SPDX.Checksum))
        add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        add((checksum, SPDX.checksumValue, Literal(shards[0].sha256, datatype=XSD.hexBinary)))
    add(
        (distribution, DCATAP.availability, URIRef(f"{EU}planned-availability/{info.availability}"))
    )
    add((distribution, ADMS.status, COMPLETED))
    if facts.created:
        add((distribution, DCTERMS.modified, Literal(facts.created, datatype=XSD.dateTime)))
    licences = facts.licences[split]
    _add_licence(graph, distribution, split, dict(licences.documents))
    attribution = _attribution_text(licences.attributions, licences.attributions_truncated, base)
    if attribution and any(needs_attribution(lic) for lic in licences.documents):
        add((distribution, DCATDE.licenseAttributionByText, Literal(attribution)))


def _attribution_text(attributions: set[str], truncated: bool, base: str) -> str | None:
    if not attributions:
        return None
    listed = sorted(attributions)[:MAX_ATTRIBUTIONS_LISTED]
    more = truncated or len(attributions) > len(listed)
    text = "; ".join(" ".join(a.split()) for a in listed)
    suffix = (
        f" und weitere, vollständige Liste je Dokument: {base}NOTICE"
        if more
        else (f". Namensnennung je Dokument: {base}NOTICE")
    )
    return text + suffix


def _parquet_files(count: int) -> Message:
    """A split's files in their number ("1 Parquet file"), for the description."""
    return plural(
        count, _("{count} Parquet file", count=count), _("{count} Parquet files", count=count)
    )
