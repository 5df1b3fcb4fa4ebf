"""A note of the index files (`osai-index.yaml`, `fmti.json`) in every language of the
catalogue: English under the index's own key (the indices, like every record, are English, and
their bytes do not depend on who released), each other language beside it (`notes_de`), so that
a reader of the file and `gemeingut openness rate` find the reasons in their language."""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import LANGUAGES, Message, text

ENGLISH = "en"


def in_languages(key: str, note: Message | str) -> dict[str, str]:
    """`{key: English, key_de: German, …}`; a plain string stays as it is in each."""
    return {key: text(note, ENGLISH)} | {
        language_key(key, language): text(note, language)
        for language in LANGUAGES
        if language != ENGLISH
    }


def language_key(key: str, language: str) -> str:
    """Where `key`'s note in `language` stands (English: `key` itself)."""
    return key if language == ENGLISH else f"{key}_{language}"


def note_in(entry: dict[str, Any], key: str, language: str) -> Any:
    """The note in `language`, or in English where the file has none in it (a bundle from
    before the notes were written in every language)."""
    return entry.get(language_key(key, language), entry.get(key))
