"""A dataset's documents said a count's noun with "(s)" ("1 Parquet file(s)", "Kurator:innen"
for one curator): each now takes the noun in the number of what it counts, through the
catalogue's `plural`."""

import dataclasses
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS

from gemeingut.data.publish import PublicationInfo
from gemeingut.data.publish.data_statement import render_data_statement
from gemeingut.data.publish.dcat import build_dcat
from gemeingut.data.publish.facts import DatasetFacts, read_facts


def _descriptions(graph: Graph) -> list[str]:
    return sorted(str(o) for o in graph.objects(None, DCTERMS.description) if "Parquet" in o)


def test_the_dcat_description_says_one_parquet_file_or_several(
    dataset: Path, full_info: PublicationInfo
) -> None:
    facts = read_facts(dataset)
    train = facts.split_shards("train")
    assert len(train) > 1  # the tiny corpus has small shards
    several = _descriptions(build_dcat(facts, full_info))
    assert any(f" in {len(train)} Parquet files with " in said for said in several)
    one = dataclasses.replace(
        facts, shards=tuple(s for s in facts.shards if s.split != "train" or s == train[0])
    )
    said = " ".join(_descriptions(build_dcat(one, full_info)))
    assert " in 1 Parquet file with " in said
    assert "(s)" not in said and "1 Parquet files" not in said


def _header(facts: DatasetFacts, info: PublicationInfo, language: str, people: list[str]) -> str:
    info = info.model_copy(
        update={"document_language": language, "curators": people, "statement_authors": people}
    )
    return render_data_statement(facts, info)


def test_the_data_statement_names_one_curator_and_author_in_the_singular(
    dataset: Path, full_info: PublicationInfo
) -> None:
    facts = read_facts(dataset)
    one, two = ["Ada, Testamt"], ["Ada, Testamt", "Bo, Testamt"]
    german = _header(facts, full_info, "de", one)
    assert "- **Kurator:in des Datensatzes:** Ada, Testamt\n" in german
    assert "- **Autor:in des Data Statements:** Ada, Testamt\n" in german
    german = _header(facts, full_info, "de", two)
    assert "- **Kurator:innen des Datensatzes:** Ada, Testamt; Bo, Testamt\n" in german
    english = _header(facts, full_info, "en", one)
    assert "- **Dataset curator:** Ada, Testamt\n" in english
    assert "- **Data statement author:** Ada, Testamt\n" in english
    english = _header(facts, full_info, "en", two)
    assert "- **Dataset curators:** Ada, Testamt; Bo, Testamt\n" in english
    assert "- **Data statement authors:** Ada, Testamt; Bo, Testamt\n" in english
    assert "(s)" not in english
