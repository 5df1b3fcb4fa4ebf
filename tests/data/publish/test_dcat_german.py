"""GovData's readers get dcat.ttl's free texts in German first: the provenance statement and
each distribution's description were English only (`@en`); each is now given in German and
English, with the numbers of stats.json written as each language writes them, and the file
still conforms to the official DCAT-AP.de shapes."""

import json
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import DCTERMS, RDF, RDFS

from gemeingut.data.publish.dcat import DCAT
from tests.data.publish.test_dcat import violations


@pytest.fixture(scope="module")
def graph(dataset: Path, published) -> Graph:
    return Graph().parse(dataset / "dcat.ttl", format="turtle")


def _by_language(graph: Graph, subject, predicate) -> dict[str, str]:
    said = list(graph.objects(subject, predicate))
    assert len(said) == len({o.language for o in said}), said  # one text per language
    return {o.language: str(o) for o in said}


def test_the_provenance_is_said_in_german_and_english(dataset: Path, graph: Graph) -> None:
    stats = json.loads((dataset / "stats.json").read_text(encoding="utf-8"))
    (provenance,) = graph.objects(None, DCTERMS.provenance)
    labels = _by_language(graph, provenance, RDFS.label)
    assert labels.keys() == {"de", "en"}
    assert labels["de"].startswith("Kuratiert mit gemeingut")
    read, kept = stats["documents_in"], stats["kept"]
    assert f"{read} Dokumente gelesen, {kept} behalten" in labels["de"]
    assert f"{read} documents read, {kept} kept" in labels["en"]


def test_every_distribution_is_described_in_german_and_english(dataset: Path, graph: Graph) -> None:
    stats = json.loads((dataset / "stats.json").read_text(encoding="utf-8"))
    distributions = list(graph.subjects(RDF.type, DCAT.Distribution))
    assert len(distributions) == 3
    for distribution in distributions:
        split = str(distribution).rsplit("-", 1)[-1]
        documents = stats["splits"][split]["documents"]
        descriptions = _by_language(graph, distribution, DCTERMS.description)
        assert descriptions.keys() == {"de", "en"}, descriptions
        assert descriptions["de"].startswith(f"{documents} Dokumente, "), descriptions
        assert "Parquet-Datei" in descriptions["de"]
        assert descriptions["en"].startswith(f"{documents} documents, "), descriptions


def test_the_german_texts_conform_to_the_official_shapes(graph: Graph, shapes: Graph) -> None:
    assert violations(graph, shapes) == []


def test_one_document_from_one_source_is_said_in_the_singular(dataset: Path, full_info) -> None:
    """„1 Dokumente gelesen … aus den Quellen briefe": the counts of the provenance statement
    took the plural whatever they were."""
    import dataclasses

    from gemeingut.data.publish.dcat import build_dcat
    from gemeingut.data.publish.facts import read_facts

    facts = read_facts(dataset)
    counts = {"documents_in": 1, "kept": 1, "excluded": 0, "excluded_by_reason": {}}
    stats = {**facts.stats, **counts, "kept_by_source": {"briefe": 1}, "excluded_by_source": {}}
    one = dataclasses.replace(facts, stats=stats)
    graph = build_dcat(one, full_info)
    (provenance,) = graph.objects(None, DCTERMS.provenance)
    labels = _by_language(graph, provenance, RDFS.label)
    assert (
        "aus der Quelle briefe: 1 Dokument gelesen, 1 behalten, 0 ausgeschlossen (keine)"
        in (labels["de"])
    ), labels
    assert "from the source briefe: 1 document read, 1 kept" in labels["en"], labels
    sources = {"kept_by_source": {"a": 1000, "b": 234}}
    many = dataclasses.replace(facts, stats={**stats, **sources, "documents_in": 1234})
    labels = _by_language(build_dcat(many, full_info), provenance, RDFS.label)
    assert "aus den Quellen a, b: 1.234 Dokumente gelesen" in labels["de"], labels
    assert "from the sources a, b: 1,234 documents read" in labels["en"], labels
