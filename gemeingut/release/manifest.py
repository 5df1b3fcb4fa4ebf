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
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from gemeingut.errors import InputError, VerifyError
from gemeingut.hashing import sha256_file
from gemeingut.i18n import Message, _, text
from gemeingut.i18n.visible import visible
from gemeingut.json_records import record_lines

MANIFEST = "MANIFEST"
SIGNATURE = "bundle.sig"  # the signature lies in the bundle but is not listed in the MANIFEST
_NOT_LISTED = {MANIFEST, SIGNATURE}
_SHOWN = 20
_NAME_MAX, _PATH_MAX = 255, 4095  # bytes, as Linux and macOS allow

DAMAGED_MANIFEST = _("the MANIFEST is damaged; obtain an unmodified copy")


def write_manifest(bundle: Path) -> int:
    """Hash every regular file except MANIFEST and the signature; returns the number of files.
    Empty folders (a paper's empty subfolder, copied with it) are removed first: a MANIFEST
    lists files, and `verify` names every folder it cannot list."""
    remove_empty_folders(bundle)
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
    """Each changed, missing, extra or unsafe file of `bundle` against its MANIFEST; a file
    that holds what the MANIFEST lists for another, and names that differ only in their
    Unicode normal form."""
    problems: list[str | Message] = []
    checkable: list[str] = []
    for rel in expected:
        unsafe = unsafe_path(bundle, rel)
        if unsafe:
            problems.append(_("unsafe path {path!r}: {why}", path=rel, why=unsafe))
        elif not (bundle / rel).is_file():
            problems.append(_("missing: {file}", file=shown_name(rel)))
        else:
            checkable.append(rel)
    actual = hash_files(bundle, checkable)
    changed = [rel for rel in checkable if actual[rel] != expected[rel]]
    moved = swapped(changed, actual, expected)
    problems.extend(said_swaps([(path, others, [MANIFEST]) for path, others in moved]))
    problems.extend(_("changed: {file}", file=shown_name(rel)) for rel in changed)
    present = _bundle_files(bundle)
    problems.extend(
        _("extra: {file}", file=shown_name(rel)) for rel in present if rel not in expected
    )
    problems.extend(empty_folder(rel) for rel in empty_folders(bundle, expected))
    problems.extend(normal_form_twins([*expected, *present]))
    problems.extend(special_files(bundle))
    return problems


class ShownName(str):
    """A path as a reader sees it (`shown_name`), with the path itself as `raw`: `verify
    --json` gives the path a program can open, the text gives what a person can read."""

    raw: str


def shown_name(rel: str) -> ShownName:
    """A path as verify names it: each character a reader could not see escaped (`visible`:
    U+202E turns the line around, a zero-width space hides in "README.md"), and in a name not
    in Unicode's NFC also its combining marks, or it would print exactly as its NFC twin."""
    said = visible(rel)
    if unicodedata.normalize("NFC", rel) != rel:
        said = "".join(
            c.encode("unicode_escape").decode("ascii") if unicodedata.combining(c) else c
            for c in said
        )
    shown = ShownName(said)
    shown.raw = rel
    return shown


def normal_form_twins(names: list[str]) -> list[Message]:
    """Names that differ only in their Unicode normal form (NFC "ü" and NFD "u" + U+0308):
    they look alike to a reader, and a file system that normalises names (macOS) holds only
    one of them."""
    forms: dict[str, set[str]] = {}
    for name in names:
        forms.setdefault(unicodedata.normalize("NFC", name), set()).add(name)
    return [
        _(
            "{names} differ only in their Unicode normalisation (NFC and NFD spell the same "
            "characters): they look alike but are different files",
            names=", ".join(shown_name(name) for name in sorted(spellings)),
        )
        for _nfc, spellings in sorted(forms.items())
        if len(spellings) > 1
    ]


def swapped(
    paths: list[str], actual: dict[str, str], recorded: dict[str, str]
) -> list[tuple[str, list[str]]]:
    """Each of `paths` whose bytes (`actual` sha256) are what `recorded` (name -> sha256)
    gives another file, with those others: files swapped or copied over each other."""
    owners: dict[str, list[str]] = {}
    for name, digest in recorded.items():
        owners.setdefault(digest, []).append(name)
    found = []
    for path in paths:
        others = [o for o in owners.get(actual[path], []) if o != path]
        if others and recorded.get(path) != actual[path]:
            found.append((path, others))
    return found


def said_swaps(found: list[tuple[str, list[str], list[str]]]) -> list[Message]:
    """Each (file, the others whose bytes it holds, the records that say so) in words, said
    before the changes that follow from it (a split table, a bill of materials); two files
    that each hold the other's bytes in one sentence."""
    pairs = {(path, tuple(others)): sources for path, others, sources in found}
    said = []
    for path, others, sources in found:
        twin = pairs.get((others[0], (path,))) if len(others) == 1 else None
        if twin == sources and others[0] < path:
            continue  # the second of a swapped pair, said with the first
        if twin == sources:
            said.append(
                _(
                    "{first} and {second} are swapped: each holds what is recorded for the "
                    "other (in {sources})",
                    first=shown_name(path),
                    second=shown_name(others[0]),
                    sources=", ".join(sources),
                )
            )
            continue
        said.append(
            _(
                "{file} holds what is recorded for {other} (in {sources})",
                file=shown_name(path),
                sources=", ".join(sources),
                other=", ".join(shown_name(o) for o in others),
            )
        )
    return said


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


def empty_folders(bundle: Path, listed: dict[str, str]) -> list[str]:
    """Folders that hold no file at any depth, the outermost of each such tree: a name a
    reader sees ("model/nur-zur-forschung/") that no MANIFEST line, and so no signature,
    covers, as OpenSSF model-signing's and in-toto's lists of files cannot either. Not the
    folder of a `listed` file (its files are named missing), nor one that cannot be read."""
    holding = {str(part) for rel in listed for part in PurePosixPath(rel).parents}
    folders = []
    for folder, dirs, files in os.walk(bundle):
        rel = PurePosixPath(Path(folder).relative_to(bundle).as_posix())
        folders.append(rel)
        if files or any(os.path.islink(os.path.join(folder, name)) for name in dirs):
            holding.update(str(part) for part in (rel, *rel.parents))
    empty = {str(rel) for rel in folders} - holding
    return sorted(str(rel) for rel in folders if str(rel) in empty and str(rel.parent) not in empty)


def empty_folder(rel: str) -> Message:
    """An empty folder as `verify` names it; `verify_empty_folders` finds it by its words in a
    bundle's own source too (whose writer then left none)."""
    return _(
        "extra: {file}/ is an empty folder, which no line of the MANIFEST lists",
        file=shown_name(rel),
    )


def remove_empty_folders(bundle: Path) -> None:
    """Empty folders below `bundle` removed: they hold nothing a MANIFEST could list."""
    for folder, _dirs, _files in os.walk(bundle, topdown=False):  # the deepest first
        if Path(folder) != bundle and not os.listdir(folder):
            os.rmdir(folder)


def special_files(bundle: Path) -> list[Message]:
    """Links (which may point anywhere) and FIFOs, sockets or devices (which hang or leak a
    reader): a bundle holds regular files and folders only.

    A hard link is none of these: each of its names is a regular file whose bytes are hashed
    against its own MANIFEST line, as model-signing hashes each name, so bytes changed through
    another name (inside the bundle or out) are named as changed like any file's. What `verify`
    vouches for is the bytes it read, which a hard link does not change; an archive or a copy
    unpacks it as two plain files."""
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
    return [_("not a regular file: {file}", file=shown_name(rel)) for rel in sorted(others)] + [
        _("unsafe link: {file}", file=shown_name(rel)) for rel in sorted(links)
    ]
