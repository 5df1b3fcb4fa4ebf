"""The line of every key of a TOML file, so that a recipe's validation errors say where.

tomllib keeps no positions, and tomlkit is no dependency of ours (only of `kernels`). This is
a small scanner over a text tomllib has already accepted: it follows tables, arrays of tables
(`[[data.sources]]` entries are counted into the index pydantic names), dotted keys, inline
tables and arrays, and skips strings and comments whole, so that `key = 1` inside a multi-line
string or after a `#` is never taken for a key. Whatever it finds is checked against tomllib's
own keys; where it disagrees it says no line rather than a wrong one.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

Key = tuple[str | int, ...]


class _Lost(Exception):
    """The scanner met what valid TOML does not hold: its lines cannot be trusted."""


@dataclass(frozen=True)
class KeyLines:
    """Lines of one TOML file's keys, looked up by a pydantic error's `loc`."""

    lines: Mapping[Key, int]
    root: Key = ()  # where the validated table stands in the file (`data` of a curate config)
    elsewhere: tuple[Key, ...] = ()  # keys whose value came from the command line

    @classmethod
    def of(cls, source: str, parsed: dict[str, Any]) -> KeyLines:
        """The lines of `source`, none at all unless every key tomllib `parsed` has one."""
        try:
            lines = _Scanner(source).document()
        except (_Lost, IndexError, tomllib.TOMLDecodeError):
            return cls({})
        return cls(lines if set(_paths(parsed)) <= lines.keys() else {})

    def under(self, root: Key) -> KeyLines:
        return replace(self, root=root)

    def besides(self, keys: Iterable[Key]) -> KeyLines:
        return replace(self, elsewhere=(*self.elsewhere, *keys))

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The key's line; for a missing key the line of the table or entry it belongs in."""
        if any(tuple(loc[: len(key)]) == key for key in self.elsewhere):
            return None
        path: Key = (*self.root, *loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def _paths(value: Any, path: Key = ()) -> Iterator[Key]:
    """Every key and array index below `value`, as pydantic's `loc` names them."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, inner in items:
        yield (*path, key)
        if isinstance(inner, dict | list):
            yield from _paths(inner, (*path, key))


_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(" \t\r\n,]}#")


class _Scanner:
    def __init__(self, source: str) -> None:
        self.text = source
        self.at = 0
        self.newlines = [n for n, char in enumerate(source) if char == "\n"]
        self.lines: dict[Key, int] = {}
        self.entries: dict[Key, int] = {}  # array of tables → entries so far

    def line(self) -> int:
        return bisect_left(self.newlines, self.at) + 1

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def expect(self, said: str) -> None:
        if not self.text.startswith(said, self.at):
            raise _Lost(self.at)
        self.at += len(said)

    def blank(self, newlines: bool) -> None:
        """Skip spaces and comments (and line ends where `newlines`)."""
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "#":
                end = self.text.find("\n", self.at)
                self.at = len(self.text) if end < 0 else end
            elif char in " \t" or (newlines and char in "\r\n"):
                self.at += 1
            else:
                return

    def document(self) -> dict[Key, int]:
        table: Key = ()
        while True:
            self.blank(newlines=True)
            if self.at >= len(self.text):
                return self.lines
            line = self.line()
            if self.text.startswith("[[", self.at):
                self.at += 2
                *parents, last = self.key()
                self.blank(newlines=False)
                self.expect("]]")
                array = (*self.resolve(parents), last)
                entry = self.entries.get(array, 0)
                self.entries[array] = entry + 1
                table = (*array, entry)
                self.record(table, line)
            elif self.peek() == "[":
                self.at += 1
                *parents, last = self.key()
                self.blank(newlines=False)
                self.expect("]")
                table = (*self.resolve(parents), last)
                self.record(table, line)
            else:
                self.pair(table)

    def resolve(self, keys: Sequence[str]) -> Key:
        """A header's parents with the current entry of every array of tables among them."""
        path: Key = ()
        for key in keys:
            path = (*path, key)
            if path in self.entries:
                path = (*path, self.entries[path] - 1)
        return path

    def record(self, path: Key, line: int, start: int = 0) -> None:
        """The key's line; its parents (below `start`) keep the line they were first seen on."""
        for end in range(start + 1, len(path)):
            self.lines.setdefault(path[:end], line)
        self.lines[path] = line

    def pair(self, table: Key) -> None:
        line = self.line()
        path = (*table, *self.key())
        self.record(path, line, start=len(table))
        self.blank(newlines=False)
        self.expect("=")
        self.blank(newlines=False)
        self.value(path)

    def key(self) -> tuple[str, ...]:
        parts = []
        while True:
            self.blank(newlines=False)
            start = self.at
            if self.peek() in ('"', "'"):
                self.string()
                parts.append(tomllib.loads("k = " + self.text[start : self.at])["k"])
            else:
                while self.at < len(self.text) and self.text[self.at] in _BARE:
                    self.at += 1
                if start == self.at:
                    raise _Lost(start)
                parts.append(self.text[start : self.at])
            self.blank(newlines=False)
            if self.peek() != ".":
                return tuple(parts)
            self.at += 1

    def value(self, path: Key) -> None:
        char = self.peek()
        if char == "{":
            self.items(path, "}", lambda _: self.pair(path))
        elif char == "[":
            self.items(path, "]", self.item)
        elif char in ('"', "'"):
            self.string()
        else:
            self.scalar()

    def item(self, path: Key) -> None:
        self.lines[path] = self.line()
        self.value(path)

    def items(self, path: Key, close: str, read: Callable[[Key], None]) -> None:
        """An inline table's pairs or an array's items, up to `close`."""
        self.at += 1
        index = 0
        while True:
            self.blank(newlines=True)
            if self.peek() == close:
                self.at += 1
                return
            if not self.peek():
                raise _Lost(self.at)
            read((*path, index))
            index += 1
            self.blank(newlines=True)
            if self.peek() == ",":
                self.at += 1

    def scalar(self) -> None:
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in _SCALAR_END:
            self.at += 1
        if start == self.at:
            raise _Lost(start)
        said, after = self.text[start : self.at], self.text[self.at : self.at + 2]
        if len(said) == 10 and said[4] == "-" and after[:1] == " " and after[1:].isdigit():
            self.at += 1  # a date and a time apart by a space (1979-05-27 07:32:00): one value
            self.scalar()

    def string(self) -> None:
        quote = self.peek()
        triple = self.text.startswith(quote * 3, self.at)
        self.at += 3 if triple else 1
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and quote == '"':
                self.at += 2
            elif triple and self.text.startswith(quote * 3, self.at):
                self.at += 3
                for _ in range(2):  # up to two quotes right before the closing three
                    if self.peek() == quote:
                        self.at += 1
                return
            elif char == quote and not triple:
                self.at += 1
                return
            elif char == "\n" and not triple:
                raise _Lost(self.at)
            else:
                self.at += 1
        raise _Lost(self.at)
