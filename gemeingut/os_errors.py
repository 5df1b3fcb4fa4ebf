"""What the system refused when a path was used (`OSError`), said in the reader's language
with the path concerned and what to do: the CLI's last word on one, and the readers of files a
person names (`json_records.read_utf8`, a policy file) say it the same way."""

from __future__ import annotations

import errno
from pathlib import Path

from gemeingut.i18n import Message, _


def os_error(exc: OSError) -> tuple[Message | str, Message | str, int]:
    """What the system refused, said with the path concerned and what to do, and the exit
    code: 2 for a path the user can correct, 1 where the machine itself failed (a full disk, an
    I/O error) or the reason is not one known here (then the system's own words)."""
    if exc.filename is None:
        return str(exc), "", 1
    path = str(exc.filename)
    shown = path if len(path) <= 200 else path[:200] + "…"
    number = exc.errno
    if number == errno.ENOENT:
        parent = Path(path).parent
        if not parent.is_dir():
            return (
                _("{path}: the folder {folder} does not exist", path=shown, folder=parent),
                _("create the folder first, or choose a path in an existing one"),
                2,
            )
        return _("{path} does not exist", path=shown), _("check the path"), 2
    known = {
        errno.EISDIR: (
            _("{path} is a folder, but a file is needed here", path=shown),
            _("name a file, e.g. one inside that folder"),
        ),
        errno.ENOTDIR: (
            _("{path}: a part of the path is a file, not a folder", path=shown),
            _("check the path"),
        ),
        errno.EEXIST: (
            _("{path} already exists", path=shown),
            _("choose another path, or move the existing one aside"),
        ),
        errno.EACCES: (
            _("{path}: permission denied", path=shown),
            _("choose a path you may use, or ask who owns it for the permission"),
        ),
        errno.EPERM: (
            _("{path}: operation not permitted", path=shown),
            _("choose a path you may use, or ask who owns it for the permission"),
        ),
        errno.EROFS: (
            _("{path} is on a read-only file system", path=shown),
            _("choose a path on a writable disk"),
        ),
        errno.ENAMETOOLONG: (
            _("{path}: the name is too long for the file system", path=shown),
            _("choose a shorter name or path"),
        ),
    }
    if number in known:
        return (*known[number], 2)
    if number in (errno.ENOSPC, errno.EDQUOT):
        return (
            _("no space left on the disk while writing {path}", path=shown),
            _("free some space, then run the command again"),
            1,
        )
    return _("{path}: {reason}", path=shown, reason=exc.strerror or str(exc)), "", 1
