"""Fetch a public source by URL into a folder, with a record of exactly what was fetched.

A corpus is only as open as its provenance: `FETCH.json` names the URL, the git commit or the
sha256 of the download, the time, and every file with its hash, so a data statement can cite
the source and anyone can check that they fetched the same bytes.

The folder appears complete or not at all: everything is fetched and unpacked under a temporary
name next to `dest`, and renamed into place only after `FETCH.json` is written. A second fetch of
the same URL and revision into a complete folder does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from gemeingut.data.compressed import STREAM_ERRORS, open_compressed
from gemeingut.data.readers import FOLDER_SUFFIXES, JSONL_SUFFIXES
from gemeingut.errors import InputError
from gemeingut.i18n import _

RECORD_NAME = "FETCH.json"
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst")
# Kept as they are: the readers know them (plus tables and documents a user may want alongside).
FILE_SUFFIXES = (*JSONL_SUFFIXES, ".parquet", *FOLDER_SUFFIXES, ".csv", ".tsv", ".xml", ".pdf")
UNKNOWN_PACKED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".lz", ".lzma", ".lz4")
GIT_HOSTS = ("github.com", "codeberg.org", "gitlab.com")  # https://host/owner/repo is a repo
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_CHUNK = 1 << 20
# Python's own guard against unsafe members (3.11.4+); the checks below do not rely on it.
_TAR_FILTER: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


@dataclass(frozen=True)
class FetchRecord:
    """What `FETCH.json` says; `reused` is true when an earlier complete fetch was kept."""

    url: str
    kind: str  # "archive" (unpacked), "file" (kept as downloaded) or "git"
    revision: str | None  # what was asked for (git only)
    commit: str | None  # what it resolved to (git only)
    sha256: str | None  # of the download (archive and file)
    retrieved_at: str
    files: list[dict[str, Any]]  # {"path", "sha256", "bytes"}, regular files, sorted
    reused: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["reused"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], reused: bool = False) -> FetchRecord:
        return cls(
            **{k: data.get(k) for k in cls.__dataclass_fields__ if k != "reused"}, reused=reused
        )


def fetch(url: str, dest: Path, revision: str | None = None) -> FetchRecord:
    """Fetch `url` (an http(s) archive or file, a git repository, a local path) into `dest`."""
    url = normalise_url(url)
    kind = source_kind(url)
    if revision is not None and kind != "git":
        raise InputError(
            _(
                "{url} is {kind}, not a git repository: a revision cannot be chosen",
                url=url,
                kind=_KIND_NAMES.get(kind, kind),
            ),
            _("leave out --revision, or give the git repository's URL"),
        )
    if revision is not None and (not revision or revision.startswith("-")):
        raise InputError(
            _("{revision!r} is not a revision", revision=revision),
            _("name a branch, tag or commit"),
        )
    previous = _previous_fetch(dest, url, revision)
    if previous is not None:
        return previous
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        content = work / "content"
        commit = digest = None
        if kind == "git":
            commit = _clone(url, revision, content)
        else:
            download = work / _file_name(url)
            digest = _download(url, download)
            if kind == "archive":
                _unpack(download, url, content)
            else:
                content.mkdir()
                download.rename(content / download.name)
        _refuse_escaping_links(content, url)
        record = FetchRecord(
            url=url,
            kind=kind,
            revision=revision,
            commit=commit,
            sha256=digest,
            retrieved_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            files=_files(content),
        )
        if kind == "git":
            _refuse_lfs_pointers(content, record, url)
        text = json.dumps(record.to_json(), indent=2, ensure_ascii=False) + "\n"
        (content / RECORD_NAME).write_text(text, "utf-8")
        if dest.exists():  # an empty folder, checked by _previous_fetch
            dest.rmdir()
        content.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return record


def normalise_url(url: str) -> str:
    """URLs stay as they are; a local path becomes an absolute file:// URL."""
    if "://" in url or re.match(r"^[\w.-]+@[\w.-]+:", url):  # scheme or scp-like user@host:path
        return url
    path = Path(url).expanduser()
    if not path.exists():
        raise InputError(
            _("{url} is neither a URL nor an existing path", url=url), _("check the spelling")
        )
    return path.resolve().as_uri()


def source_kind(url: str) -> str:
    """Tell "git", "archive" or "file" from a normalised URL; a local folder must be a git repo."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme.startswith("git+") or scheme in ("git", "ssh") or "://" not in url:
        return "git"
    if scheme == "file":
        path = Path(url2pathname(parts.path))
        if not path.exists():
            raise InputError(_("{url} does not exist", url=url), _("check the path"))
        if path.is_dir():
            return "git"
    elif scheme not in ("http", "https"):
        raise InputError(
            _("cannot fetch {url}: unknown scheme {scheme!r}", url=url, scheme=scheme),
            _("use https://"),
        )
    name = PurePosixPath(unquote(parts.path)).name.lower()
    segments = [s for s in parts.path.split("/") if s]
    if name.endswith(".git") or (parts.hostname in GIT_HOSTS and len(segments) == 2):
        return "git"
    if name.endswith(ZIP_SUFFIXES + TAR_SUFFIXES):
        return "archive"
    if name.endswith(UNKNOWN_PACKED_SUFFIXES) and not name.endswith(FILE_SUFFIXES):
        raise InputError(
            _("cannot fetch {url}: unknown archive type", url=url),
            _(
                "fetch unpacks {suffixes} and keeps .jsonl(.gz|.zst) and .parquet files as they "
                "are; repack or unpack it yourself",
                suffixes=", ".join(ZIP_SUFFIXES + TAR_SUFFIXES),
            ),
        )
    return "file"


def _previous_fetch(dest: Path, url: str, revision: str | None) -> FetchRecord | None:
    """The record of a complete earlier fetch of the same thing, or None if `dest` is free."""
    if not dest.exists():
        return None
    if not dest.is_dir():
        raise InputError(
            _("{dest} exists and is not a folder", dest=str(dest)),
            _("choose another destination"),
        )
    record_path = dest / RECORD_NAME
    if not record_path.exists():
        if any(dest.iterdir()):
            raise InputError(
                _(
                    "{dest} is not empty and holds no {record}; nothing was overwritten",
                    dest=str(dest),
                    record=RECORD_NAME,
                ),
                _("choose a new or empty destination folder"),
            )
        return None
    try:
        previous = FetchRecord.from_json(json.loads(record_path.read_text("utf-8")), reused=True)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            _("{path} cannot be read: {problem}", path=str(record_path), problem=str(exc)),
            _("delete the folder and fetch again"),
        ) from None
    if (previous.url, previous.revision) != (url, revision):
        raise InputError(
            _(
                "{dest} already holds {url} at revision {revision}",
                dest=str(dest),
                url=previous.url,
                revision=previous.revision,
            )
            if previous.revision
            else _("{dest} already holds {url}", dest=str(dest), url=previous.url),
            _("choose another destination, or delete it to fetch this source there"),
        )
    changed = [
        f["path"]
        for f in previous.files
        if not (dest / f["path"]).is_file() or (dest / f["path"]).stat().st_size != f["bytes"]
    ]
    if changed:
        raise InputError(
            _(
                "{dest} was changed since it was fetched: {files}",
                dest=str(dest),
                files=", ".join(changed[:3]),
            ),
            _("delete the folder and fetch again"),
        )
    return previous


def _file_name(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name if name not in ("", ".", "..") and "\\" not in name else "download"


# --- Downloads ---------------------------------------------------------------------------------

_STATUS_HINTS = {
    404: _("check the URL: the file is not (or no longer) there"),
    401: _("fetch takes public sources only; this one asks for a login"),
    403: _("fetch takes public sources only; this one refuses access"),
}
_KIND_NAMES = {"archive": _("an archive"), "file": _("a file")}


def _download(url: str, target: Path) -> str:
    """Stream `url` into `target` (local files are copied); return the sha256 of the bytes."""
    digest = hashlib.sha256()
    if url.startswith("file:"):
        with Path(url2pathname(urlsplit(url).path)).open("rb") as source, target.open("wb") as out:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30.0) as response:
            if response.status_code >= 400:
                status = f"HTTP {response.status_code} {response.reason_phrase}"
                hint = _STATUS_HINTS.get(
                    response.status_code, _("the server failed; try again later")
                )
                raise InputError(_("cannot download {url}: {status}", url=url, status=status), hint)
            with target.open("wb") as out:
                for chunk in response.iter_bytes(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise InputError(
            _(
                "cannot download {url}: {problem}",
                url=url,
                problem=str(exc) or type(exc).__name__,
            ),
            _("check the address, your network connection and proxy settings"),
        ) from None
    return digest.hexdigest()


# --- Archives ----------------------------------------------------------------------------------


_ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, *STREAM_ERRORS)
_UNSAFE_HINT = _("the archive is unsafe and was not unpacked; ask its publisher for a clean one")


def _unpack(archive: Path, url: str, content: Path) -> None:
    content.mkdir()
    packing = "zip" if archive.name.lower().endswith(ZIP_SUFFIXES) else "tar"
    try:
        if packing == "zip":
            _unpack_zip(archive, url, content)
        else:
            _unpack_tar(archive, url, content)
    except _ARCHIVE_ERRORS as exc:
        raise InputError(
            _(
                "{url} is not a readable {packing} archive: {problem}",
                url=url,
                packing=packing,
                problem=str(exc),
            ),
            _("check that the URL points at the archive itself, not at a web page about it"),
        ) from None


def _unpack_zip(archive: Path, url: str, content: Path) -> None:
    with zipfile.ZipFile(archive) as packed:
        members = packed.infolist()
        links = {}
        for member in members:
            _check_member_name(member.filename, url)
            if stat.S_ISLNK(member.external_attr >> 16):
                links[member.filename] = packed.read(member).decode("utf-8")
                _check_link(member.filename, links[member.filename], url)
        for member in members:
            if member.filename in links:
                path = content / member.filename
                path.parent.mkdir(parents=True, exist_ok=True)
                path.symlink_to(links[member.filename])
            else:
                packed.extract(member, content)


def _unpack_tar(archive: Path, url: str, content: Path) -> None:
    """Streamed member by member: each is checked before it is written."""
    with open_compressed(archive) as stream, tarfile.open(fileobj=stream, mode="r|*") as packed:
        for member in packed:
            _check_member_name(member.name, url)
            if member.issym():
                _check_link(member.name, member.linkname, url)
            elif member.islnk():
                _check_member_name(member.linkname, url)
            elif not (member.isfile() or member.isdir()):
                raise InputError(
                    _(
                        "{url}: archive member {name!r} is a device or pipe",
                        url=url,
                        name=member.name,
                    ),
                    _("a corpus archive holds files and folders only; nothing was unpacked"),
                )
            packed.extract(member, content, **_TAR_FILTER)


def _check_member_name(name: str, url: str) -> None:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) or ".." in normal.split("/"):
        raise InputError(
            _(
                "{url}: archive member {name!r} would be written outside the destination",
                url=url,
                name=name,
            ),
            _UNSAFE_HINT,
        )


def _check_link(name: str, target: str, url: str) -> None:
    resolved = os.path.normpath(os.path.join(os.path.dirname(name), target))
    if os.path.isabs(target) or resolved == ".." or resolved.startswith("../"):
        raise InputError(
            _(
                "{url}: archive link {name!r} -> {target!r} points outside the destination",
                url=url,
                name=name,
                target=target,
            ),
            _UNSAFE_HINT,
        )


def _refuse_escaping_links(content: Path, url: str) -> None:
    root = content.resolve()
    for path in content.rglob("*"):
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise InputError(
                _(
                    "{url}: {path} links outside the fetched folder",
                    url=url,
                    path=str(path.relative_to(content)),
                ),
                _("such links could expose other files; the source was not kept"),
            )


def _files(content: Path) -> list[dict[str, Any]]:
    files = []
    for path in sorted(content.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            relative = path.relative_to(content).as_posix()
            files.append(
                {"path": relative, "sha256": digest.hexdigest(), "bytes": path.stat().st_size}
            )
    return files


# --- Git ---------------------------------------------------------------------------------------


def _clone(url: str, revision: str | None, target: Path) -> str:
    """Clone into `target` without `.git`; return the commit. Shallow unless a revision is asked."""
    remote = url.removeprefix("git+")
    if revision is None:
        _git(["clone", "--depth", "1", "--quiet", "--", remote, str(target)], url)
    else:
        _git(["clone", "--no-checkout", "--quiet", "--", remote, str(target)], url)
        for candidate in (revision, f"origin/{revision}"):
            query = ["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"]
            found = _git(["-C", str(target), *query], url, check=False)
            if found:
                break
        else:
            raise InputError(
                _("revision {revision!r} not found in {url}", revision=revision, url=url),
                _("name a branch, tag or commit there"),
            )
        _git(["-C", str(target), "checkout", "--quiet", "--detach", found], url)
    commit = _git(["-C", str(target), "rev-parse", "HEAD"], url)
    shutil.rmtree(target / ".git")
    return commit


def _git(args: list[str], url: str, check: bool = True) -> str:
    if shutil.which("git") is None:
        raise InputError(_("git is not installed"), _("install git to fetch repositories"))
    # Fail instead of asking for a password or a host key on a terminal nobody watches.
    env = {"GIT_SSH_COMMAND": "ssh -o BatchMode=yes", **os.environ, "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(
        ["git", *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0 and check:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = next(
            (line for line in lines if line.startswith("fatal:")), lines[-1] if lines else ""
        )
        raise InputError(
            _(
                "git cannot fetch {url}: {reason}",
                url=url,
                reason=reason.removeprefix("fatal: "),
            ),
            _("check that the URL names a public git repository"),
        )
    return result.stdout.strip() if result.returncode == 0 else ""


def _refuse_lfs_pointers(content: Path, record: FetchRecord, url: str) -> None:
    """Without git-lfs a clone holds 130-byte pointers instead of the data: say so, loudly."""
    pointers = []
    for entry in record.files:
        if entry["bytes"] < 1024:
            with (content / entry["path"]).open("rb") as handle:
                if handle.read(len(_LFS_POINTER)) == _LFS_POINTER:
                    pointers.append(entry["path"])
    if pointers:
        raise InputError(
            _(
                "{url}: {count} files are Git LFS pointers, not data ({first} ...)",
                url=url,
                count=str(len(pointers)),
                first=pointers[0],
            ),
            _("install git-lfs (`git lfs install`) and fetch again"),
        )
