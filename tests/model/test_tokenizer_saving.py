"""A tokenizer saved again (as the model and fine-tune stages save theirs) has the same bytes
whether the process ran with HF_HUB_OFFLINE or not: the same artifact id names the same files."""

import json
import os
import subprocess
import sys
from pathlib import Path

from gemeingut.model.tokenizer import train_tokenizer

_RESAVE = """
import sys
from pathlib import Path
from transformers import AutoTokenizer
from gemeingut.model.tokenizer import save_tokenizer
save_tokenizer(AutoTokenizer.from_pretrained(sys.argv[1]), Path(sys.argv[2]))
"""


def _resave(trained: Path, out: Path, offline: bool) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    subprocess.run(
        [sys.executable, "-c", _RESAVE, str(trained), str(out)], env=env, check=True, timeout=120
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_saved_tokenizer_does_not_depend_on_hf_hub_offline(tmp_path: Path) -> None:
    trained = tmp_path / "trained"
    train_tokenizer(["Guten Tag, das ist ein Bescheid der Behörde."] * 40, trained, 300)
    offline = _resave(trained, tmp_path / "offline", offline=True)
    online = _resave(trained, tmp_path / "online", offline=False)
    assert offline == online
    config = json.loads(offline["tokenizer_config.json"])
    assert "local_files_only" not in config and "is_local" not in config
    assert offline["tokenizer_config.json"] == (trained / "tokenizer_config.json").read_bytes()
