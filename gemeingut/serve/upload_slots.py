"""At most `--max-uploads` documents read, chunked and embedded at once by all the server
processes that serve one folder of collections (the workers of `serve --workers`, or several
servers on one database): each upload holds its file in memory and a thread, and its embedding
holds the model, so the bound is the server's, not each process's.

The slots are N files under the collections folder, each held with an exclusive `flock` while
an upload runs. Why file locks and not a lease in the gateway database: every process that
takes uploads into a folder shares that folder already (it writes the collections there and
takes each collection's write lock the same way, `rag.storage.locked`), while a database is
there only with `--db`; and the kernel gives a lock back the moment its process ends, also
after `kill -9`, where a lease would stay taken until an expiry that must outlast the slowest
upload. A lock belongs to its open file, so two uploads of one process are two holders too.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import BinaryIO

from gemeingut.errors import InputError
from gemeingut.i18n import _, text
from gemeingut.serve.http_errors import APIError
from gemeingut.serve.limits import DEFAULT_MAX_UPLOADS

log = logging.getLogger("gemeingut.serve")
SLOTS_FOLDER = ".upload-slots"  # no collection's name: those start with a letter or digit
UPLOAD_RETRY_AFTER = 5  # seconds: an upload of a few MiB is usually through by then


class UploadSlot:
    """One upload's slot; `give_back` (or the end of the process) frees it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle  # closing it, also by the garbage collector, releases the lock

    def give_back(self) -> None:
        self._handle.close()


class UploadSlots:
    """The slot files of a collections folder; one more upload than `most` is a 503 with
    `Retry-After` at once. Servers of one folder with different `most` share the lower slots:
    together they run as many uploads as the largest `most` allows."""

    def __init__(self, root: Path, most: int = DEFAULT_MAX_UPLOADS) -> None:
        self.most = most
        self.folder = root / SLOTS_FOLDER
        try:
            self.folder.mkdir(exist_ok=True)
            for slot in range(most):
                (self.folder / f"{slot}.lock").touch()
        except OSError as error:
            raise InputError(
                _(
                    "cannot keep the upload slots in {folder}: {reason}",
                    folder=self.folder,
                    reason=error.strerror or str(error),
                ),
                _("uploads are stored in --collections: the server must be able to write there"),
            ) from None

    def take(self) -> UploadSlot:
        """A free slot, or the 503 that none is free (blocking file calls: a worker thread)."""
        for slot in range(self.most):
            try:
                handle = open(self.folder / f"{slot}.lock", "ab")  # noqa: SIM115 (kept open)
            except OSError as error:  # the folder went away: the server's trouble
                said = _(
                    "the upload slots in {folder} cannot be opened (errno {errno})",
                    folder=self.folder,
                    errno=str(error.errno),
                )
                log.error("%s", text(said))
                raise APIError(
                    507,
                    _("the server could not store the file; tell its operator"),
                    code="server_error",
                    type="server_error",
                ) from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return UploadSlot(handle)
        raise APIError(
            503,
            _(
                "the server is taking as many documents at once as it allows ({most}); "
                "retry in {seconds} s",
                most=self.most,
                seconds=UPLOAD_RETRY_AFTER,
            ),
            code="uploads_busy",
            type="server_error",
            headers={"Retry-After": str(UPLOAD_RETRY_AFTER)},
        )
