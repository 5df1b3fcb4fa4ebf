"""An ingest into a collection whose embedding model is no longer in the folder the collection
records (moved, deleted, a collection copied from another machine) says so as the collection's
state, naming the model and the folder and what to do, not as an `--embed` nobody gave."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.apps.rag.embedders import EmbedderSpec
from gemeingut.apps.rag.index import COLLECTION_FILE, ingest
from tests.apps.rag.documents import write_markdown
from tests.test_cli import invoke


def test_an_ingest_says_the_collections_model_is_not_where_it_was(
    tmp_path: Path, model_dir: Path
) -> None:
    root, gone = tmp_path / "c", tmp_path / "modelle" / "alt"
    ingest(
        root,
        "akten",
        [write_markdown(tmp_path / "leitfaden.md")],
        embed=EmbedderSpec(str(model_dir)),
    )
    path = root / "akten" / COLLECTION_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["embedder"]["source"] = str(gone)
    path.write_text(json.dumps(meta), encoding="utf-8")
    before = path.read_text(encoding="utf-8")

    refused = invoke("rag", "ingest", "akten", tmp_path / "leitfaden.md", "--root", root)
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "Traceback" not in said, said
    model = model_dir.resolve().name
    assert (
        f"die Sammlung „akten“ wurde mit dem Modell „{model}“ aus {gone} eingebettet, wo jetzt "
        f"kein Modell mehr liegt Hinweis: legen Sie das Modell wieder unter {gone} ab, oder "
        "nehmen Sie die Dokumente mit einem anderen --embed in eine neue Sammlung auf"
    ) in said, said
    assert "--embed " + str(gone) not in said  # no option nobody gave
    assert path.read_text(encoding="utf-8") == before
