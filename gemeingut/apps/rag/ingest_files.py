"""Which files an ingest takes, under which key, and which it refuses or skips.

A document's key is its file name, or for a file found in a folder the folder's name and the
path below it; two files that would share a key refuse the ingest before anything is written.
A file the collection already holds under another key is skipped with that key named: the same
file, the same bytes, or the same text (the same words under the same headings in the same
chunks, read from another format: Homeoffice.odt beside Homeoffice.docx), which a search
would find twice. What to do instead is what the person may do: an uploader is told to
remove the other document where it is an upload too (anyone of the collection's groups may),
and to ask the operator where the operator ingested it (the server changes no document of the
operator's). A file in a folder that no reader reads (an old .doc, a spreadsheet, a file
without a suffix) is listed by its type, not left out unsaid; a hidden file (".DS_Store"),
like a hidden folder, is a system's, not a document.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemeingut.apps.rag.readers import READERS, require_known_format
from gemeingut.apps.rag.storage import searched_text
from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.i18n.visible import visible

if TYPE_CHECKING:
    from gemeingut.apps.rag.chunking import Chunk
    from gemeingut.apps.rag.storage import StoredChunk

UPLOADED = "upload:"  # a recorded source: the document was given through the server, by key
_RENAME_HINT = _(
    "rename one of them, or ingest the folder one level above: a folder's name is part of the "
    "keys of the documents in it"
)


def found_documents(
    paths: list[Path], skipped: dict[str, str], unsupported: dict[str, list[str]]
) -> dict[str, Path]:
    """Key → file of each document in `paths`; what is not followed goes into `skipped` (file
    → why), a folder's files of a format no reader reads into `unsupported` (suffix, lower
    case, "" for none → files). Two files with one key (`a/info.txt`, `b/info.txt`) refuse the
    ingest before anything is written: the second would replace the first unseen. Longer keys
    would avoid the clash, but a key must not change with what else is ingested: a later
    ingest compares keys to find what changed."""
    found: dict[str, Path] = {}
    for key, path in _walk(paths, skipped, unsupported):
        # a key is printed by `rag list` and cited by answers: a line break or an escape
        # sequence in it would break a line in two, or change a terminal's colours
        if any(unicodedata.category(c) == "Cc" for c in key):
            said = _("its name holds control characters (a line break, a tab): rename it")
            skipped[visible(str(path))] = text(said)
            continue
        first = found.setdefault(key, path)
        if first.resolve() != path.resolve():
            raise InputError(
                _(
                    "{first} and {second} would both be named '{key}' in the collection",
                    first=str(first),
                    second=str(path),
                    key=key,
                ),
                _RENAME_HINT,
            )
    return found


def refuse_other_sources(documents: dict[str, dict[str, Any]], found: dict[str, Path]) -> None:
    """A key the collection holds for another file that still exists (`a/info.txt`, ingested
    before `b/info.txt`): the new file would replace the other without a word. A file that
    moved (its old place is gone) updates its document."""
    for key, path in sorted(found.items()):
        recorded = documents.get(key, {}).get("source", "")
        if recorded.startswith(UPLOADED):
            continue  # a file on this machine updates an uploaded document of its key
        if recorded and Path(recorded) != path.resolve() and Path(recorded).exists():
            raise InputError(
                _(
                    "{path} would replace {other}, which the collection holds as '{key}'",
                    path=str(path),
                    other=recorded,
                    key=key,
                ),
                _RENAME_HINT,
            )


def text_fingerprint(chunks: Iterable[Chunk | StoredChunk]) -> str:
    """The words of a document's chunks with their sections' headings (`searched_text`), in
    order and whatever the spaces between them: what a search finds of it, the same for a text
    read from a DOCX, an ODT or a Markdown file. Two laws whose only paragraph is the same
    ("Ausfertigungsdatum … Fundstelle …") under different titles are two documents."""
    words = "\n".join(" ".join(searched_text(chunk).split()) for chunk in chunks)
    return hashlib.sha256(words.encode()).hexdigest()


def text_fingerprints(chunks: Iterable[StoredChunk]) -> dict[str, str]:
    """Each document's `text_fingerprint`, from the chunks a collection holds of it."""
    held: dict[str, list[StoredChunk]] = {}
    for chunk in chunks:
        held.setdefault(chunk.document, []).append(chunk)
    return {key: text_fingerprint(chunks) for key, chunks in held.items()}


class Held:
    """Which key holds a file, its bytes or its text: a document under two keys is found twice
    by every search (same text, same score) and pushes other sources out of the best k."""

    def __init__(
        self,
        name: str,
        documents: dict[str, dict[str, Any]],
        digests: dict[str, str],
        texts: dict[str, str],
        uploaded: bool = False,
    ) -> None:
        """`digests`: the bytes' sha256 of each file given, by key; `texts`: the
        `text_fingerprint` of each document the collection holds."""
        self.name = name
        self.uploaded = uploaded  # said to a person on the page: no command line to name
        staying = {k: r for k, r in documents.items() if k not in digests}
        unchanged = {k: r for k, r in documents.items() if r["sha256"] == digests.get(k)}
        self.sources = {r["source"]: k for k, r in staying.items()}
        # ingested by the operator: a person on the page cannot remove them
        self.operators = {k for k, r in documents.items() if not r["source"].startswith(UPLOADED)}
        self.contents: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        for key, record in sorted((staying | unchanged).items()):
            self.contents.setdefault(record["sha256"], key)
            if key in texts:
                self.texts.setdefault(texts[key], key)

    def other_key_for(self, key: str, path: Path, digest: str) -> str:
        """Why `path` is not taken under `key` (empty if it is); a key taken claims its content."""
        other = self.sources.get(str(path.resolve()))
        if other is not None and other != key:
            return text(
                _(
                    "already in the collection as '{key}', not taken twice: to update it, "
                    "ingest it as it was ingested; to keep it under the new name, first: "
                    "{command}",
                    key=other,
                    command=self.remove_command(other),
                )
            )
        return self._twice(key, self.contents.setdefault(digest, key))

    def other_key_with_text(self, key: str, fingerprint: str) -> str:
        """Why a file read is not taken under `key` (empty if it is): the collection holds its
        text (`text_fingerprint`) under another key; a key taken claims its text."""
        return self._twice(key, self.texts.setdefault(fingerprint, key))

    def _twice(self, key: str, other: str) -> str:
        """Why a document is not taken under `key` where `other` holds its text (empty where
        `other` is `key`), and what the person may do: the operator runs a command; a person
        on the page removes another upload, and asks the operator of the operator's."""
        if other == key:
            return ""
        if not self.uploaded:
            return text(
                _(
                    "the same text as '{key}' in the collection, not taken twice: to keep it "
                    "under the new name, first: {command}",
                    key=other,
                    command=self.remove_command(other),
                )
            )
        if other in self.operators:
            return text(
                _(
                    "the same text as '{key}' in the collection, which the server's operator "
                    "took in: not taken twice, searches find it already; to have it under the "
                    "new name, ask the operator",
                    key=other,
                )
            )
        return text(
            _(
                "the same text as '{key}' in the collection, not taken twice: to keep it under "
                "the new name, remove '{key}' first",
                key=other,
            )
        )

    def remove_command(self, key: str) -> str:
        """The command that removes `key`, as a shell reads it (`'a b.txt'`, not `a b.txt`)."""
        return shlex.join(["gemeingut", "rag", "remove", self.name, key])


def _walk(
    paths: list[Path], skipped: dict[str, str], unsupported: dict[str, list[str]]
) -> Iterator[tuple[str, Path]]:
    """(key, file) for every readable document; a folder's key keeps its own name and the
    path below it. Links are not followed: a link could lead out of what was meant to be
    ingested (another group's files). A special file (a named pipe, a device) is skipped
    unopened: reading a pipe waits for a writer that may never come, a device has no end."""
    for path in paths:
        if path.is_symlink():
            skipped[str(path)] = text(_("a link: not followed"))
        elif path.is_file():
            require_known_format(path)
            yield path.name, path
        elif path.is_dir():
            for file in sorted(_files_below(path, skipped, unsupported)):
                yield f"{path.resolve().name}/{file.relative_to(path).as_posix()}", file
        else:
            skipped[str(path)] = text(
                _("a special file (a named pipe, a device or a socket), not a document: not read")
            )


def _files_below(
    folder: Path, skipped: dict[str, str], unsupported: dict[str, list[str]]
) -> Iterator[Path]:
    for directory, subfolders, files in os.walk(folder):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            if name.startswith("."):
                continue
            if path.suffix.lower() not in READERS:
                unsupported.setdefault(path.suffix.lower(), []).append(str(path))
                continue
            if path.is_symlink() or not path.is_file():
                skipped[str(path)] = text(_("a link or special file: not followed"))
                continue
            yield path
