import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.data.curate import WORK_DIR, curate
from gemeingut.recipe import DataSection, SourceSpec
from gemeingut.stages import curate_stage
from gemeingut.workspace import ARTIFACT_FILE, at
from tests.corpus import open_documents

ROOT = Path(__file__).resolve().parents[2]


def laws_like_parquet(path: Path, n: int) -> Path:
    docs = open_documents(n, seed=7)
    docs += [dict(docs[5], id="again")]  # one exact duplicate across tasks
    pq.write_table(pa.Table.from_pylist(docs), path)
    return path


def contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ARTIFACT_FILE
    }


def test_two_workers_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    source = SourceSpec(name="p", path=laws_like_parquet(tmp_path / "d.parquet", 300))
    section = DataSection(sources=[source], task_rows=40)
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        out.mkdir()
        stats = curate(section, out, workers=workers)
        outputs.append(contents(out))
    assert outputs[0] == outputs[1]
    assert stats["documents_in"] == 301 and stats["excluded_by_reason"] == {"duplicate": 1}
    assert not (tmp_path / "out2" / WORK_DIR).exists()


# Run as a file without a __main__ guard, as a user's quick script would be.
SCRIPT = """
import sys
from pathlib import Path
from gemeingut.recipe import DataSection, SourceSpec
from gemeingut.stages import curate_stage
from gemeingut.workspace import at
source = SourceSpec(name="p", path=Path(sys.argv[1]))
curate_stage(at(Path(sys.argv[2])), DataSection(sources=[source], task_rows=100, workers=2))
"""


def test_run_killed_mid_way_resumes_to_byte_identical_output(tmp_path: Path) -> None:
    data = laws_like_parquet(tmp_path / "d.parquet", 4000)
    section = DataSection(sources=[SourceSpec(name="p", path=data)], task_rows=100, workers=2)
    reference, _ = curate_stage(at(tmp_path / "reference"), section)

    target = tmp_path / "killed"
    markers = f".{target.name}.*.partial/{WORK_DIR}/*.done"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = tmp_path / "curate_script.py"
    script.write_text(SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), str(data), str(target)], env=env, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(markers)) and process.poll() is None:
        assert time.monotonic() < deadline, "the curate run never finished a task"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished_before_kill = len(list(tmp_path.glob(markers)))
    assert 0 < finished_before_kill < 41 and not target.exists()

    resumed, reused = curate_stage(at(target), section)
    assert not reused
    assert contents(resumed.path) == contents(reference.path)
    assert resumed.meta["files"] == reference.meta["files"]
    assert resumed.id == reference.id


def test_ray_executor_writes_the_same_bytes_as_local_processes(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    source = SourceSpec(name="p", path=laws_like_parquet(tmp_path / "d.parquet", 200))
    outputs = []
    for executor in ("local", "ray"):
        section = DataSection(sources=[source], task_rows=50, workers=2, executor=executor)
        artifact, _ = curate_stage(at(tmp_path / executor), section)
        outputs.append((artifact.id, contents(artifact.path)))
    assert outputs[0] == outputs[1]


def _children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="workers die with their parent on Linux")
def test_killing_only_the_parent_ends_its_workers_and_a_rerun_succeeds(tmp_path: Path) -> None:
    data = laws_like_parquet(tmp_path / "d.parquet", 4000)
    section = DataSection(sources=[SourceSpec(name="p", path=data)], task_rows=100, workers=2)
    target = tmp_path / "killed"
    script = tmp_path / "curate_script.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(script), str(data), str(target)], env=env)
    deadline = time.monotonic() + 120
    while len(workers := _children(process.pid)) < 2:
        assert time.monotonic() < deadline and process.poll() is None, "no workers started"
        time.sleep(0.02)
    process.kill()  # the parent alone, as `kill -9 PID` does
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers kept running after their parent died"
        time.sleep(0.05)
    artifact, reused = curate_stage(at(target), section)  # at once, no clean-up in between
    assert not reused and artifact.stats["documents_in"] == 4001
