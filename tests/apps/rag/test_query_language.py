"""`gemeingut rag query --language en` writes the whole list in English, the scores too: the
score was written in the messages' language (German: `0,123`) beside English labels."""

from __future__ import annotations

import re
from pathlib import Path

from tests.apps.rag.documents import write_markdown
from tests.test_cli import invoke


def test_the_scores_are_written_in_the_language_asked_for(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    write_markdown(tmp_path / "docs" / "leitfaden.md")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "vergabe", tmp_path / "docs", "--root", root).exit_code == 0
    ask = ("rag", "query", "vergabe", "Frist Eingang Angebote", "--root", root, "--mode", "bm25")
    english = invoke(*ask, "--language", "en")
    german = invoke(*ask)
    assert english.exit_code == 0 and german.exit_code == 0, english.output + german.output
    assert re.search(r"\(BM25 score \d\.\d{3}\)", english.output), english.output
    assert not re.search(r"\d,\d{3}\)", english.output), english.output
    assert re.search(r"\(BM25-Wert \d,\d{3}\)", german.output), german.output


def test_a_language_gemeingut_does_not_write_is_refused(tmp_path: Path) -> None:
    """It would now format the scores: a traceback, where it was silently German before."""
    (tmp_path / "docs").mkdir()
    write_markdown(tmp_path / "docs" / "leitfaden.md")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "vergabe", tmp_path / "docs", "--root", root).exit_code == 0
    refused = invoke("rag", "query", "vergabe", "Frist", "--root", root, "--language", "fr")
    assert refused.exit_code == 2, refused.output
    assert "„fr“ ist keine Sprache von gemeingut" in refused.output
    assert "--language" in refused.output and "Traceback" not in refused.output
