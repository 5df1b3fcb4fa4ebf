"""`rag eval NAME -` read a file named „-“; it reads the questions piped in, as Unix tools do."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.cli import app
from tests.apps.rag.documents import write_markdown
from tests.test_cli import invoke, runner


def test_a_dash_reads_the_questions_piped_in(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    write_markdown(docs / "hinweise.md")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "v", docs, "--root", root).exit_code == 0
    asked = {"question": "Gewichtung der Zuschlagskriterien", "document": "hinweise.md",
             "section": "Zuschlag"}  # fmt: skip
    piped = json.dumps(asked).encode("utf-8") + b"\n"
    result = runner.invoke(
        app, ["rag", "eval", "v", "-", "--root", str(root), "--json"], input=piped
    )
    assert result.exit_code == 0, result.output
    [bm25] = json.loads(result.stdout)
    assert bm25["questions"] == 1 and bm25["recall"] == 1.0
    broken = runner.invoke(app, ["rag", "eval", "v", "-", "--root", str(root)], input=b"{}\n")
    said = " ".join(broken.output.split())
    assert broken.exit_code == 2 and "Zeile 1" in said and "Traceback" not in said, said


def test_questions_piped_in_are_named_standard_input(tmp_path: Path) -> None:
    """A problem with the questions piped in names standard input, not a file „-“."""
    docs = tmp_path / "docs"
    docs.mkdir()
    write_markdown(docs / "hinweise.md")
    root = tmp_path / "c"
    assert invoke("rag", "ingest", "v", docs, "--root", root).exit_code == 0
    for piped, said in ((b"", "Standardeingabe enthält keine Fragen"),
                        (b"\xff\xfe\x00", "Standardeingabe ist nicht UTF-8")):  # fmt: skip
        result = runner.invoke(
            app, ["--lang", "de", "rag", "eval", "v", "-", "--root", str(root)], input=piped
        )
        shown = " ".join(result.output.split())
        assert result.exit_code == 2 and said in shown, shown
