"""A name after „mit dem Framework“ is told from a German word with the word list the search
splits compounds with, read once: not a second copy of it in memory (`names.py`)."""

from __future__ import annotations

import gzip

import pytest

from gemeingut.apps.assistants import names
from gemeingut.apps.assistants.names import is_german_word
from gemeingut.apps.rag import german_terms


def test_names_and_compounds_read_the_word_list_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (names, german_terms):  # every cache of the list, read again below
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    read = []
    unpacked = gzip.decompress
    monkeypatch.setattr(gzip, "decompress", lambda data: read.append(data) or unpacked(data))
    assert is_german_word("Fachanwendung")  # a compound of the list's words
    assert is_german_word("Webanwendung")  # a common last word („anwendung“) after a head
    assert is_german_word("E-Akte")
    assert not is_german_word("Salesforce")  # „force“: too rare a last word
    assert not is_german_word("Salesforce-Plattform")
    assert len(read) == 1
