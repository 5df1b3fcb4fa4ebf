"""bench/german_words.py: a corpus that is not there is named, not a pyarrow traceback."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_missing_corpus_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "gesetze.parquet"
    out = tmp_path / "words.txt.gz"
    script = str(ROOT / "bench" / "german_words.py")
    run = subprocess.run(
        [sys.executable, script, "--corpus", str(missing), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert f"{missing}: no such file" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()
