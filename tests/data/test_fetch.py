import hashlib
import io
import json
import socket
import subprocess
import tarfile
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zstandard

from gemeingut import i18n
from gemeingut.data import fetch as fetch_module
from gemeingut.data.fetch import RECORD_NAME, fetch, source_kind
from gemeingut.data.readers import read_source
from gemeingut.errors import InputError
from gemeingut.recipe import SourceSpec

FILES = {"korpus/a.txt": "Offene Daten für alle.\n", "korpus/sub/b.md": "# Satzung\n\nText.\n"}


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server is on 127.0.0.1: a proxy from the environment must not be asked."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Site:
    """A real HTTP server on 127.0.0.1 serving a folder, counting requests per path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: Counter[str] = Counter()
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests[self.path] += 1
                if self.path == "/truncated.zip":  # promises more bytes than it sends
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write(b"PK\x03\x04 only the start")
                    return
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def add(self, name: str, content: bytes) -> str:
        (self.root / name).write_bytes(content)
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    served = Site(tmp_path_factory.mktemp("site"))
    yield served
    served.server.shutdown()
    served.server.server_close()


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        for name, text in files.items():
            packed.writestr(name, text)
    return buffer.getvalue()


def tar_bytes(
    files: dict[str, str], mode: str = "w:gz", links: dict[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as packed:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            packed.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            packed.addfile(info)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git(*args: str, cwd: Path) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=t@example.org"]
    command += ["-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path) -> list[str]:
    """A repository with two commits (tagged v1 and on branch main); returns their hashes."""
    path.mkdir()
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    commits = []
    for version, text in (("v1", "Erste Fassung."), ("v2", "Zweite Fassung.")):
        (path / "gesetz.txt").write_text(text, "utf-8")
        git("add", "gesetz.txt", cwd=path)
        git("commit", "--quiet", "-m", version, cwd=path)
        git("tag", version, cwd=path)
        commits.append(git("rev-parse", "HEAD", cwd=path).strip())
    return commits


def assert_nothing_left(parent: Path, dest: Path) -> None:
    assert not dest.exists()
    assert list(parent.glob(f".{dest.name}.partial-*")) == []


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("korpus.zip", zip_bytes),
        ("korpus.tar.gz", tar_bytes),
        ("korpus.tgz", tar_bytes),
        ("korpus.tar", partial(tar_bytes, mode="w")),
        ("korpus.tar.zst", lambda files: zstandard.compress(tar_bytes(files, mode="w"))),
    ],
)
def test_archive_is_unpacked_and_recorded(site: Site, tmp_path: Path, name, pack) -> None:
    data = pack(FILES)
    url = site.add(name, data)
    record = fetch(url, tmp_path / "src")
    assert (record.kind, record.sha256, record.commit, record.reused) == (
        "archive",
        sha256(data),
        None,
        False,
    )
    assert [f["path"] for f in record.files] == sorted(FILES)
    for entry in record.files:
        text = FILES[entry["path"]].encode("utf-8")
        assert entry == {"path": entry["path"], "sha256": sha256(text), "bytes": len(text)}
        assert (tmp_path / "src" / entry["path"]).read_bytes() == text
    written = json.loads((tmp_path / "src" / RECORD_NAME).read_text("utf-8"))
    assert written == record.to_json()
    assert written["url"] == url and written["retrieved_at"].endswith("Z")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no temporary left behind


def test_data_file_is_kept_as_downloaded_and_readable(site: Site, tmp_path: Path) -> None:
    lines = "".join(
        json.dumps({"text": f"Text {i}", "license": "CC0-1.0"}) + "\n" for i in range(5)
    )
    data = zstandard.compress(lines.encode("utf-8"))
    record = fetch(site.add("daten.jsonl.zst", data), tmp_path / "src")
    assert record.kind == "file" and record.sha256 == sha256(data)
    assert record.files == [{"path": "daten.jsonl.zst", "sha256": sha256(data), "bytes": len(data)}]
    spec = SourceSpec(name="d", path=tmp_path / "src" / "daten.jsonl.zst")
    assert len(list(read_source(spec, lambda e: None))) == 5


def test_second_fetch_reuses(site: Site, tmp_path: Path) -> None:
    url = site.add("wieder.zip", zip_bytes(FILES))
    first = fetch(url, tmp_path / "src")
    second = fetch(url, tmp_path / "src")
    assert second.reused and second == first
    assert site.requests["/wieder.zip"] == 1
    (tmp_path / "src" / "korpus" / "a.txt").write_text("verändert, länger", "utf-8")
    with pytest.raises(InputError, match="wurde verändert, seit es geholt wurde"):
        fetch(url, tmp_path / "src")


def test_destination_holding_something_else_is_never_overwritten(
    site: Site, tmp_path: Path
) -> None:
    fetch(site.add("eins.zip", zip_bytes(FILES)), tmp_path / "src")
    with pytest.raises(InputError, match="enthält schon") as info:
        fetch(site.add("zwei.zip", zip_bytes(FILES)), tmp_path / "src")
    assert "another destination" in i18n.text(info.value.hint, "en")
    (tmp_path / "eigenes").mkdir()
    (tmp_path / "eigenes" / "notizen.txt").write_text("meins", "utf-8")
    with pytest.raises(InputError, match="nichts wurde überschrieben"):
        fetch(site.add("drei.zip", zip_bytes(FILES)), tmp_path / "eigenes")
    assert (tmp_path / "eigenes" / "notizen.txt").read_text("utf-8") == "meins"
    (tmp_path / "leer").mkdir()
    assert fetch(f"{site.url}/drei.zip", tmp_path / "leer").kind == "archive"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("punkte.zip", zip_bytes({"../boese.txt": "x"})),
        ("absolut.zip", zip_bytes({"/etc/boese.txt": "x"})),
        ("punkte.tar.gz", tar_bytes({"ok.txt": "x", "a/../../boese.txt": "x"})),
        ("absolut.tar.gz", tar_bytes({"/tmp/boese.txt": "x"})),
        ("link.tar.gz", tar_bytes({"ok.txt": "x"}, links={"ok/passwd": "../../etc/passwd"})),
        ("abslink.tar.gz", tar_bytes({}, links={"passwd": "/etc/passwd"})),
    ],
    # named by the file: a gzip header holds the time it was made, and test processes that
    # collect in different seconds must see the same test ids
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_archive_with_path_escaping_member_is_refused(
    site: Site, tmp_path: Path, name: str, data: bytes
) -> None:
    url = site.add(name, data)
    with pytest.raises(InputError, match="außerhalb des Ziels") as info:
        fetch(url, tmp_path / "src")
    assert url in str(info.value.message) and "unsafe" in i18n.text(info.value.hint, "en")
    assert_nothing_left(tmp_path, tmp_path / "src")
    assert not (tmp_path / "boese.txt").exists()


def test_link_inside_the_archive_is_kept(site: Site, tmp_path: Path) -> None:
    data = tar_bytes(FILES, links={"korpus/auch-a.txt": "a.txt"})
    fetch(site.add("innen.tar.gz", data), tmp_path / "src")
    assert (tmp_path / "src" / "korpus" / "auch-a.txt").read_text("utf-8") == FILES["korpus/a.txt"]


def test_git_source_records_the_commit(tmp_path: Path) -> None:
    commits = make_repo(tmp_path / "repo")
    for url in (str(tmp_path / "repo"), (tmp_path / "repo").as_uri()):
        dest = tmp_path / f"src-{len(url)}"
        record = fetch(url, dest)
        assert (record.kind, record.commit, record.revision, record.sha256) == (
            "git",
            commits[-1],
            None,
            None,
        )
        assert record.url == (tmp_path / "repo").as_uri()
        assert (dest / "gesetz.txt").read_text("utf-8") == "Zweite Fassung."
        assert not (dest / ".git").exists()
        assert [f["path"] for f in record.files] == ["gesetz.txt"]


def test_git_revision_is_checked_out_and_recorded(tmp_path: Path) -> None:
    commits = make_repo(tmp_path / "repo")
    url = (tmp_path / "repo").as_uri()
    for revision, commit in ((commits[0], commits[0]), ("v1", commits[0]), ("main", commits[1])):
        dest = tmp_path / f"src-{revision}"
        record = fetch(url, dest, revision=revision)
        assert (record.revision, record.commit) == (revision, commit)
        text = "Erste Fassung." if commit == commits[0] else "Zweite Fassung."
        assert (dest / "gesetz.txt").read_text("utf-8") == text
    with pytest.raises(InputError, match="Revision „v9“ nicht gefunden"):
        fetch(url, tmp_path / "src-v9", revision="v9")
    assert_nothing_left(tmp_path, tmp_path / "src-v9")
    with pytest.raises(InputError, match="enthält schon"):
        fetch(url, tmp_path / "src-v1", revision="main")
    with pytest.raises(InputError, match="ist keine Revision"):
        fetch(url, tmp_path / "src-x", revision="--output=/tmp/x")


def test_http_404_is_a_clear_error(site: Site, tmp_path: Path) -> None:
    url = f"{site.url}/gibt-es-nicht.zip"
    with pytest.raises(InputError, match="HTTP 404") as info:
        fetch(url, tmp_path / "src")
    assert url in str(info.value.message) and "check the URL" in i18n.text(info.value.hint, "en")
    assert_nothing_left(tmp_path, tmp_path / "src")


def test_connection_refused_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/korpus.zip"
    with pytest.raises(InputError, match="lässt sich nicht herunterladen") as info:
        fetch(url, tmp_path / "src")
    assert url in str(info.value.message) and "network" in i18n.text(info.value.hint, "en")
    assert_nothing_left(tmp_path, tmp_path / "src")


def test_not_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ordner").mkdir()
    with pytest.raises(InputError, match=r"git kann .* nicht holen") as info:
        fetch(str(tmp_path / "ordner"), tmp_path / "src")
    assert "not appear to be a git repository" in str(info.value.message)
    assert_nothing_left(tmp_path, tmp_path / "src")
    with pytest.raises(InputError, match="weder eine URL noch ein vorhandener Pfad"):
        fetch(str(tmp_path / "fehlt"), tmp_path / "src")


def test_unknown_or_broken_archive_is_a_clear_error(site: Site, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unbekannte Archivart"):
        fetch(f"{site.url}/korpus.rar", tmp_path / "src")
    url = site.add("webseite.zip", b"<html>Download hier</html>")
    with pytest.raises(InputError, match="kein lesbares zip-Archiv"):
        fetch(url, tmp_path / "src")
    with pytest.raises(InputError, match="Revision lässt sich nicht wählen"):
        fetch(url, tmp_path / "src", revision="v1")
    assert_nothing_left(tmp_path, tmp_path / "src")


def test_interrupted_fetch_leaves_no_half_written_dest(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InputError, match="lässt sich nicht herunterladen"):
        fetch(f"{site.url}/truncated.zip", tmp_path / "src")
    assert_nothing_left(tmp_path, tmp_path / "src")

    def killed(content: Path) -> list:
        raise KeyboardInterrupt

    monkeypatch.setattr(fetch_module, "_files", killed)
    with pytest.raises(KeyboardInterrupt):
        fetch(site.add("ganz.zip", zip_bytes(FILES)), tmp_path / "src")
    assert_nothing_left(tmp_path, tmp_path / "src")


def test_local_archive_and_file_are_fetched_like_downloads(tmp_path: Path) -> None:
    (tmp_path / "korpus.zip").write_bytes(zip_bytes(FILES))
    (tmp_path / "daten.jsonl").write_text('{"text": "Hallo"}\n', "utf-8")
    archive = fetch(str(tmp_path / "korpus.zip"), tmp_path / "a")
    assert archive.kind == "archive" and archive.url == (tmp_path / "korpus.zip").as_uri()
    assert archive.sha256 == sha256((tmp_path / "korpus.zip").read_bytes())
    plain = fetch((tmp_path / "daten.jsonl").as_uri(), tmp_path / "b")
    assert (
        plain.kind == "file"
        and (tmp_path / "b" / "daten.jsonl").read_text() == '{"text": "Hallo"}\n'
    )


def test_kind_is_told_from_the_url() -> None:
    assert source_kind("https://github.com/org/gesetze") == "git"
    assert source_kind("https://example.org/repo.git") == "git"
    assert source_kind("git+https://example.org/repo") == "git"
    assert source_kind("https://github.com/org/gesetze/archive/main.tar.gz") == "archive"
    assert source_kind("https://example.org/daten.jsonl.gz") == "file"
    assert source_kind("https://example.org/daten.parquet") == "file"
