import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from gemeingut.data.publish.dcat import DCAT, DCATDE, SPDX
from gemeingut.data.publish.licenses import GOVDATA_OTHER_OPEN
from gemeingut.hashing import sha256_file

MISSING_LICENCE = "DE: dcat:Distribution: MUSS eine dcterms:license haben."


@pytest.fixture(scope="module")
def graph(dataset: Path, published) -> Graph:
    return Graph().parse(dataset / "dcat.ttl", format="turtle")


def violations(data: Graph, shapes: Graph) -> list[str]:
    import pyshacl

    _, report, _ = pyshacl.validate(data, shacl_graph=shapes)
    return [
        str(report.value(result, SH.resultMessage))
        for result in report.subjects(SH.resultSeverity, SH.Violation)
    ]


def distributions(graph: Graph) -> dict[str, URIRef]:
    return {str(d).rsplit("-", 1)[-1]: d for d in graph.subjects(RDF.type, DCAT.Distribution)}


def test_dcat_conforms_to_dcat_ap_de_without_violations(graph: Graph, shapes: Graph) -> None:
    assert violations(graph, shapes) == []


def test_distribution_without_licence_violates_dcat_ap_de(graph: Graph, shapes: Graph) -> None:
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    broken.remove((distributions(graph)["train"], DCTERMS.license, None))
    assert violations(broken, shapes) == [MISSING_LICENCE]


def test_one_parquet_distribution_per_split_with_size_and_checksum(
    dataset: Path, graph: Graph
) -> None:
    stats = json.loads((dataset / "stats.json").read_text())
    found = distributions(graph)
    assert found.keys() == {s for s, t in stats["splits"].items() if t["documents"]}
    for split, node in found.items():
        shards = sorted(dataset.glob(f"shards/{split}-*.parquet"))
        downloads = {str(u).rsplit("/", 1)[-1] for u in graph.objects(node, DCAT.downloadURL)}
        assert downloads == {s.name for s in shards}
        assert graph.value(node, DCAT.byteSize).toPython() == sum(s.stat().st_size for s in shards)
        assert "PARQUET" in str(graph.value(node, DCTERMS.format))
        checksum = graph.value(node, SPDX.checksum)
        if len(shards) == 1:
            value = graph.value(checksum, SPDX.checksumValue)
            assert str(value) == sha256_file(shards[0])
        else:  # one checksum per distribution: several files cannot share one
            assert checksum is None


def test_licences_come_from_govdatas_vocabulary_and_name_the_spdx_expression(
    graph: Graph, published
) -> None:
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    # CC-BY-SA-4.0 beside CC-BY-4.0 and DL-DE-BY-2.0 documents governs none of them: share-alike
    # would be laid on documents whose own terms ask attribution only
    assert graph.value(dataset, DCTERMS.license) == URIRef(GOVDATA_OTHER_OPEN)
    rights = graph.value(graph.value(dataset, DCTERMS.rights), RDFS.label)
    assert str(rights) == f"SPDX: {published['corpus_licence']}"
    for node in distributions(graph).values():
        licence = str(graph.value(node, DCTERMS.license))
        assert licence.startswith("http://dcat-ap.de/def/licenses/")


def test_attribution_text_is_given_where_a_licence_requires_it(graph: Graph) -> None:
    for node in distributions(graph).values():
        label = str(graph.value(graph.value(node, DCTERMS.rights), RDFS.label))
        text = graph.value(node, DCATDE.licenseAttributionByText)
        if any(x in label for x in ("CC-BY-4.0", "CC-BY-SA-4.0", "DL-DE-BY-2.0")):
            assert isinstance(text, Literal) and "NOTICE" in str(text)


def test_titles_and_descriptions_are_tagged_german_and_english(graph: Graph) -> None:
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    titles = {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)}
    assert titles == {"de": "Gemischtes Testkorpus", "en": "Mixed test corpus"}
