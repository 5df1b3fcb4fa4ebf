"""A text file with a zero byte (or another control character but tab and line ends) kept it
in its chunk, and `rag query` printed it. Now each becomes a space when read, and the ingest
says how many a text or Markdown file held, as it names a file read as Windows-1252. The CLI
end to end."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import invoke


def test_control_characters_do_not_enter_chunks_and_the_ingest_says_so(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "roh.txt").write_bytes(
        "Die Müllabfuhr\x00kommt\tdienstags.\x0bDie Biotonne\x1b[31m freitags.\n".encode()
    )
    (docs / "sauber.txt").write_text("Die Straßenreinigung ist neu.", encoding="utf-8")
    (docs / "notiz.md").write_bytes(b"# Laub\n\nDas Laub\x00wird im Herbst geholt.\n")
    root = tmp_path / "c"
    result = invoke("rag", "ingest", "v", docs, "--root", root)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "docs/roh.txt: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 3" in said
    assert "sauber.txt" not in result.output
    queried = invoke("rag", "query", "v", "Müllabfuhr", "--root", root)
    assert queried.exit_code == 0, queried.output
    assert "\x00" not in queried.output and "\x1b" not in queried.output
    found = json.loads(invoke("rag", "query", "v", "Müllabfuhr", "--root", root, "--json").stdout)
    assert found[0]["text"] == "Die Müllabfuhr kommt\tdienstags. Die Biotonne [31m freitags."
    laub = json.loads(invoke("rag", "query", "v", "Laub", "--root", root, "--json").stdout)
    assert laub[0]["text"] == "Das Laub wird im Herbst geholt."  # not U+FFFD: Markdown's
    assert "docs/notiz.md: Steuerzeichen (etwa Null-Bytes) als Leerzeichen gelesen: 1" in said
    (docs / "roh.txt").write_bytes(b"Die M\xc3\xbcllabfuhr\x00kommt montags.")
    again = invoke("rag", "ingest", "v", docs, "--root", root, "--json")
    assert json.loads(again.stdout)["control_characters"] == {"docs/roh.txt": 1}
