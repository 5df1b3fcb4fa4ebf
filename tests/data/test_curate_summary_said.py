"""`data curate` ends with its counts as a person reads them: each exclusion reason by its
meaning in the reader's language, its code beside it, never a Python dict."""

from __future__ import annotations

from pathlib import Path

from tests.corpus import open_documents, write_jsonl
from tests.test_cli import invoke


def test_curate_says_each_exclusion_reason_in_words(tmp_path: Path) -> None:
    docs = open_documents(4)
    docs[1] = docs[1] | {"text": docs[0]["text"]}  # a copy of the first
    docs[2] = {k: v for k, v in docs[2].items() if k != "license"}
    docs[3] = docs[3] | {"id": "kurz", "text": "Zu kurz."}
    docs.append({k: v for k, v in open_documents(1, seed=7)[0].items() if k != "license"})
    data = write_jsonl(tmp_path / "docs.jsonl", docs)
    said = {}
    for language in ("de", "en"):
        result = invoke("--lang", language, "data", "curate", data, "--out", tmp_path / language)
        assert result.exit_code == 0, result.output
        said[language] = " ".join(result.stderr.split())
    assert "{" not in said["de"] + said["en"]
    assert (
        "5 ein = 1 behalten + 4 ausgeschlossen: 2 × keine Lizenz angegeben (licence-missing)"
        in (said["de"])
    )
    assert "1 × derselbe normalisierte Text wie ein früheres Dokument (duplicate)" in said["de"]
    assert "5 in = 1 kept + 4 excluded: 2 × no licence given (licence-missing)" in said["en"]
