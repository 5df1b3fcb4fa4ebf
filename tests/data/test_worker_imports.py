import json
import os
import subprocess
import sys
from pathlib import Path

from tests.corpus import open_documents, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "scipy")

# The way `gemeingut data curate` and the benchmark run: through the stage, with forked workers;
# every task reports which heavy modules its process holds.
SCRIPT = """
import json, sys
from pathlib import Path
import gemeingut.data.curate as curate_module
from gemeingut.recipe import DataSection, SourceSpec
from gemeingut.stages import curate_stage
from gemeingut.workspace import at

heavy, report = json.loads(sys.argv[3]), Path(sys.argv[4])
run_task = curate_module.run_task

def reporting(params, work, task):
    loaded = sorted(m for m in heavy if m in sys.modules)
    with report.open("a") as f:
        f.write(json.dumps(loaded) + "\\n")
    return run_task(params, work, task)

curate_module.run_task = reporting
source = SourceSpec(name="s", path=Path(sys.argv[1]))
section = DataSection(sources=[source], task_rows=10, workers=2)
curate_stage(at(Path(sys.argv[2])), section)
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_curate_and_its_workers_never_import_torch_transformers_or_scipy(tmp_path: Path) -> None:
    docs = tmp_path / "d.jsonl"
    write_jsonl(docs, open_documents(30))
    script, report = tmp_path / "script.py", tmp_path / "report.jsonl"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(script), str(docs), str(tmp_path / "out"), json.dumps(HEAVY)]
    done = subprocess.run(
        [*command, str(report)], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    workers = [json.loads(line) for line in report.read_text().splitlines()]
    assert workers and all(loaded == [] for loaded in workers)
