"""The contact given at release (`release.json`'s `contact`, from the recipe or `release
--contact`), as the machine-readable documents carry it: the standards have fields for an
e-mail address and a web address, so the documents say which of the two it is; other words
stay as given. A release without one says so, in the words of the Model Documentation Form
(`ai_act.NOT_EVIDENCED`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

ContactKind = Literal["email", "url", "other"]
_EMAIL = re.compile(r"(?:mailto:)?([^@\s<>]+@[^@\s<>]+\.[^@\s<>]+)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>]+", re.IGNORECASE)


def release_contact(release: dict[str, Any]) -> str:
    """The contact `release.json` records, or "" where the release gave none."""
    return str(release.get("contact") or "").strip()


def contact_kind(contact: str) -> ContactKind:
    """Whether the contact is an e-mail address (also as a `mailto:` link), a web address
    (http or https) or other words."""
    if _EMAIL.fullmatch(contact):
        return "email"
    if _URL.fullmatch(contact):
        return "url"
    return "other"


def email_address(contact: str) -> str:
    """An e-mail contact's address, without a `mailto:` before it."""
    found = _EMAIL.fullmatch(contact)
    return found.group(1) if found else contact
