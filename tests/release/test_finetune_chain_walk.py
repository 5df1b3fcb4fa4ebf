"""The one walk back a chain of fine-tunes (`finetune_chain.links_back`) that both releases
follow: a chain on a foreign base (`earlier_links`) and one on our own pretraining
(`stages._earlier_finetunes`) end where their own `stop` says, refuse a base not found with
their own hint, and refuse a lineage longer than the audit follows."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest

from gemeingut.audit.subject import LINEAGE_DEPTH
from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.release.finetune_chain import foreign_base, links_back
from gemeingut.workspace import ARTIFACT_FILE, Artifact, load_artifact

HINT = _(
    "release from the workspace that holds every fine-tune between the foreign base and the "
    "released one"
)
FOREIGN = "sha256:" + "0" * 64


def _chain(root: Path, links: int, first_base: str) -> Artifact:
    """`links` models in one workspace, each fine-tuned from the one before, the oldest from
    `first_base`; the newest returned."""
    base = first_base
    for number in range(links):
        folder = root / "model" / f"mdl-{number}"
        folder.mkdir(parents=True)
        meta = {"id": f"mdl-{number}", "kind": "model", "inputs": {"base": base}}
        (folder / ARTIFACT_FILE).write_text(json.dumps(meta), encoding="utf-8")
        base = meta["id"]
    return load_artifact(root / "model" / base)


def test_the_walk_gives_each_base_newest_first_and_ends_where_stop_says(tmp_path: Path) -> None:
    tuned = _chain(tmp_path, 3, FOREIGN)
    walked = [base.id for base in links_back(tuned, foreign_base, HINT)]
    assert walked == ["mdl-1", "mdl-0"]


def test_a_base_not_found_is_refused_with_the_callers_hint(tmp_path: Path) -> None:
    tuned = _chain(tmp_path, 2, "mdl-gone")
    with pytest.raises(InputError) as refused:
        list(links_back(tuned, foreign_base, HINT))
    assert "mdl-0 was fine-tuned from mdl-gone" in text(refused.value.message, "en")
    assert refused.value.hint is HINT


def test_a_lineage_longer_than_the_audit_follows_is_refused(tmp_path: Path) -> None:
    tuned = _chain(tmp_path, LINEAGE_DEPTH + 2, FOREIGN)
    with pytest.raises(InputError) as refused:
        list(links_back(tuned, foreign_base, HINT))
    said = text(refused.value.message, "en")
    assert said == f"{tuned.id} has more than {LINEAGE_DEPTH} fine-tunes before it", said
    # a caller that ends the walk itself (our own pretraining reached) is not refused
    assert len(list(islice(links_back(tuned, foreign_base, HINT), 3))) == 3
