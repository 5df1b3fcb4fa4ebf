"""`openness.json` as a whole: exactly the rating the files give, nothing left out or added.

The claims check (`openness/claims.py`) names each shipped check that differs from the one
computed again, and each of the rating's own keys; a check removed from the list, a key added
beside them, a check listed twice or out of order is named here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.release.layout import OPENNESS
from gemeingut.release.openness.absent import Absent
from gemeingut.release.openness.check_names import check_said

_SHOWN = 80  # characters of a value said in a message


def openness_problems(bundle: Path, rating: dict[str, Any]) -> list[Message]:
    """What `openness.json` holds beyond, short of, or in another order than the rating."""
    try:
        shipped = json.loads((bundle / OPENNESS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # missing or not JSON: named by the claims check
    if shipped == rating or not isinstance(shipped, dict):
        return []
    problems = [
        _("{file}: the key {key!r} is not one the rating of the files has", file=OPENNESS, key=key)
        for key in shipped.keys() - rating.keys()
    ]
    problems.extend(
        _(
            "{file}: the key {key!r} is missing; the files give {value}",
            file=OPENNESS,
            key=key,
            value=_short(rating[key]),
        )
        for key in rating.keys() - shipped.keys()
    )
    checks = shipped.get("checks")
    if not isinstance(checks, list):
        return problems  # the claims check names a list it cannot read
    listed = Counter(c.get("id") for c in checks if isinstance(c, dict))
    again = {c["id"]: c for c in rating["checks"]}
    problems.extend(
        _(
            "{file}: the check {check} has the key {key!r}, which the files do not give",
            file=OPENNESS,
            check=check_said(check["id"]),
            key=key,
        )
        for check in checks
        if isinstance(check, dict) and check.get("id") in again
        for key in sorted(check.keys() - again[check["id"]].keys())
    )
    for check in rating["checks"]:
        if check["id"] not in listed:
            detail = check.get("detail")  # a `Recorded`: shown in the reader's language
            state = _("pass ({detail})", detail=detail) if check.get("passed") else None
            state = state or _("fail ({detail})", detail=detail)
            said = _(
                "{file}: the check {check} is missing; the files give {state}",
                file=OPENNESS,
                check=check_said(check["id"]),
                state=state,
            )
            problems.append(Absent(said, file=OPENNESS, check=check["id"]))
    problems.extend(
        _(
            "{file}: the check {check} is listed {count} times",
            file=OPENNESS,
            check=check_said(str(id_)),
            count=str(count),
        )
        for id_, count in listed.items()
        if count > 1
    )
    if not problems and _named_by_claims(shipped, rating):
        return []
    if not problems and checks != rating["checks"]:
        problems.append(
            _("{file}: the checks are not in the order the files give them", file=OPENNESS)
        )
    if not problems:
        problems.append(_("{file} differs from the rating of the files", file=OPENNESS))
    return problems


def _named_by_claims(shipped: dict[str, Any], rating: dict[str, Any]) -> bool:
    """Whether the claims check names a difference: a shipped check unlike the one computed
    again, or one of the rating's keys with another value."""
    again = {c["id"]: c for c in rating["checks"]}
    checks = [c for c in shipped["checks"] if isinstance(c, dict)]
    return any(again.get(c.get("id")) != c for c in checks) or any(
        shipped.get(key) != rating.get(key) for key in rating if key != "checks"
    )


def _short(value: Any) -> str:
    said = json.dumps(value, ensure_ascii=False)
    return said if len(said) <= _SHOWN else said[:_SHOWN] + "…"
