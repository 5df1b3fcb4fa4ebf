"""MANIFEST: the sha256 of every file in a bundle, and the check that nothing changed.

The format is `sha256sum`'s (`<hex>  <path>`), so `sha256sum -c MANIFEST` works too; ours also
refuses extra files, duplicate lines, paths that leave the bundle, links and device files.
Files are hashed on all cores: hashlib releases the GIL, so threads are enough.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from gemeingut.errors import InputError, VerifyError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, text
from gemeingut.json_records import record_lines

MANIFEST = "MANIFEST"
SIGNATURE = "bundle.sig"  # the signature lies in the bundle but is not listed in the MANIFEST
_NOT_LISTED = {MANIFEST, SIGNATURE}
_SHOWN = 20
_NAME_MAX, _PATH_MAX = 255, 4095  # bytes, as Linux and macOS allow

DAMAGED_MANIFEST = _("the MANIFEST is damaged; obtain an unmodified copy")


def write_manifest(bundle: Path) -> int:
    """Hash every regular file except MANIFEST and the signature; returns the number of files."""
    digests = hash_files(bundle, _bundle_files(bundle))
    tmp = bundle / f".{MANIFEST}.tmp"
    tmp.write_text("".join(f"{digests[rel]}  {rel}\n" for rel in digests), encoding="utf-8")
    os.replace(tmp, bundle / MANIFEST)
    return len(digests)


def hash_files(root: Path, relative: list[str]) -> dict[str, str]:
    """sha256 of each file, in the given order, hashed in parallel."""
    workers = min(len(relative), os.cpu_count() or 1) or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        digests = list(pool.map(lambda rel: _sha256_once(root / rel), relative))
    return dict(zip(relative, digests, strict=True))


# A process hashes a file once: `verify`'s MANIFEST check and the documents it draws again
# (SPDX, ML-BOM, AI Act summary) ask for the same weights, which may be many GB. A file whose
# device, inode, size, modification or change time differs is hashed again (git's rule for its
# index). A file changed in the last `SETTLED_NS` is never remembered: a second change within
# one tick of the file system's clock would keep every time as it was (git's "racily clean").
_HASHED: dict[tuple[int, ...], str] = {}
SETTLED_NS = 2_000_000_000


def _sha256_once(path: Path) -> str:
    before = _identity(path)
    known = _HASHED.get(before)
    if known is None:
        known = sha256_file(path)
        settled = time.time_ns() - max(before[3], before[4]) > SETTLED_NS
        if settled and _identity(path) == before:
            _HASHED[before] = known
    return known


def _identity(path: Path) -> tuple[int, ...]:
    info = path.stat()
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def read_manifest(bundle: Path) -> dict[str, str]:
    """The MANIFEST's path → sha256, or a `VerifyError` saying why it cannot be trusted."""
    return load_manifest(bundle)[0]


def load_manifest(bundle: Path) -> tuple[dict[str, str], str]:
    """`read_manifest`, and the sha256 of exactly the bytes parsed: a signature is checked
    against the MANIFEST whose files were checked, even if the file changes after one read."""
    # no bundle at all is a mistake in the path given (InputError), not a bundle that fails
    if not bundle.exists():
        raise InputError(
            _("{path} does not exist", path=bundle), _("pass the folder of a release bundle")
        )
    if not bundle.is_dir():
        raise InputError(
            _("{path} is not a folder", path=bundle), _("pass the folder of a release bundle")
        )
    manifest_path = bundle / MANIFEST
    if not manifest_path.is_file():
        raise InputError(
            _("{bundle} has no {file}", bundle=bundle, file=MANIFEST),
            _("pass the bundle folder of a release (it holds MANIFEST, README.md and model/)"),
        )
    raw = manifest_path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerifyError(
            _("{path}: byte {offset} is not UTF-8", path=manifest_path, offset=str(exc.start)),
            DAMAGED_MANIFEST,
        ) from None
    entries: dict[str, str] = {}
    for number, line in enumerate(record_lines(text), start=1):
        digest, sep, rel = line.partition("  ")
        if (
            not sep
            or len(digest) != 64
            or not rel
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise VerifyError(
                _("{where}: not a `<sha256>  <path>` line", where=f"{manifest_path}:{number}"),
                DAMAGED_MANIFEST,
            )
        malformed = malformed_path(rel)
        if malformed:
            raise VerifyError(
                _(
                    "{where}: path {file!r} is not usable: {why}",
                    where=f"{manifest_path}:{number}",
                    file=_clipped(rel),
                    why=malformed,
                ),
                _(
                    "a MANIFEST names each file once, by its plain relative path; obtain an "
                    "unmodified copy"
                ),
            )
        if rel in entries:
            raise VerifyError(
                _("{where}: {file!r} is listed twice", where=f"{manifest_path}:{number}", file=rel),
                _("a MANIFEST names each file once; obtain an unmodified copy"),
            )
        entries[rel] = digest
    if not entries:
        raise VerifyError(
            _("{path} lists no files", path=manifest_path),
            _("an empty MANIFEST proves nothing; obtain the bundle"),
        )
    return entries, hashlib.sha256(raw).hexdigest()


def manifest_problems(bundle: Path, expected: dict[str, str]) -> list[str | Message]:
    """Each changed, missing, extra or unsafe file of `bundle` against its MANIFEST."""
    problems: list[str | Message] = []
    checkable: list[str] = []
    for rel in expected:
        unsafe = unsafe_path(bundle, rel)
        if unsafe:
            problems.append(_("unsafe path {path!r}: {why}", path=rel, why=unsafe))
        elif not (bundle / rel).is_file():
            problems.append(_("missing: {file}", file=rel))
        else:
            checkable.append(rel)
    actual = hash_files(bundle, checkable)
    problems.extend(
        _("changed: {file}", file=rel) for rel in checkable if actual[rel] != expected[rel]
    )
    problems.extend(
        _("extra: {file}", file=rel) for rel in _bundle_files(bundle) if rel not in expected
    )
    problems.extend(special_files(bundle))
    return problems


def verify_manifest(bundle: Path) -> int:
    """Raise `VerifyError` naming each problem against the MANIFEST; else count the files."""
    expected = read_manifest(bundle)
    problems = manifest_problems(bundle, expected)
    if problems:
        raise VerifyError(
            _(
                "bundle {bundle} does not match its {file}: {problems}",
                bundle=bundle,
                file=MANIFEST,
                problems=shorten(problems),
            ),
            _("the bundle was altered after release; obtain an unmodified copy"),
        )
    return len(expected)


def shorten(problems: list[str | Message]) -> str:
    """The first problems in the reader's language, one a line after the sentence that
    introduces them; how many more there are."""
    more = len(problems) - _SHOWN
    shown = [text(problem) for problem in problems[:_SHOWN]]
    if more > 0:
        shown.append(text(_("… {count} more", count=str(more))))
    return "".join(f"\n  – {line}" for line in shown)


def malformed_path(rel: str) -> str | Message:
    """Why a MANIFEST path cannot name a file of the bundle, or '' if it can: a control
    character (a NUL ends a path for the OS), a name longer than a file system allows, or a
    spelling other than the plain one (`./a`, `a//b` and `a/` name `a` and `a/b` a second
    time, past the check for duplicates)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return _("it contains a control character")
    encoded = rel.encode("utf-8", "surrogateescape")
    if len(encoded) > _PATH_MAX or any(len(part) > _NAME_MAX for part in encoded.split(b"/")):
        return _("it is longer than a file system allows")
    if PurePosixPath(rel).as_posix() != rel or rel == ".":
        return _("not written plainly (no ./, // or / at the end)")
    return ""


def _clipped(rel: str) -> str:
    return rel if len(rel) <= 120 else rel[:120] + "…"


def unsafe_path(bundle: Path, rel: str) -> str | Message:
    """Why a MANIFEST path may not be followed, or '' if it is safe."""
    posix = PurePosixPath(rel)
    if posix.is_absolute() or rel.startswith(("/", "\\")) or ":" in posix.parts[0]:
        return _("absolute path")
    if ".." in posix.parts:
        normal = posixpath.normpath(rel)
        if normal == ".." or normal.startswith("../"):
            return _("escapes the bundle")
        return _(
            "not in normal form: a '..' segment (it means {normal}), refused wherever it leads",
            normal=normal,
        )
    if "\\" in rel:
        return _("contains a backslash, which Windows reads as a folder separator")
    try:
        root = bundle.resolve()
        resolved = (bundle / rel).resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a link loop, a NUL: never followed
        return _("cannot be resolved: {error}", error=type(exc).__name__)
    if resolved != root and root not in resolved.parents:
        return _("resolves outside the bundle")
    return ""


def _bundle_files(bundle: Path) -> list[str]:
    """Every regular file below `bundle` (links not followed), MANIFEST and signature excluded."""
    found = []
    for folder, _dirs, files in os.walk(bundle):
        for name in files:
            path = Path(folder) / name
            rel = path.relative_to(bundle).as_posix()
            if rel not in _NOT_LISTED and stat.S_ISREG(path.lstat().st_mode):
                found.append(rel)
    return sorted(found)


def special_files(bundle: Path) -> list[Message]:
    """Links (which may point anywhere) and FIFOs, sockets or devices (which hang or leak a
    reader): a bundle holds regular files and folders only."""
    links, others = [], []
    for folder, dirs, files in os.walk(bundle):
        for name in dirs + files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            rel = path.relative_to(bundle).as_posix()
            if stat.S_ISLNK(mode):
                links.append(rel)
            elif not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                others.append(rel)
    return [_("not a regular file: {file}", file=rel) for rel in sorted(others)] + [
        _("unsafe link: {file}", file=rel) for rel in sorted(links)
    ]
