"""A person as the gateway's writes name them (`identity.Principal`), for tests that store
content as a server does without a request: content is kept only of a person who exists."""

from __future__ import annotations

from sqlalchemy import Engine

from gemeingut.serve.gateway.identity import Principal, list_users, user_pseudonym_source


def person(engine: Engine, name: str) -> Principal:
    """The user `name` as a principal without a key of its own."""
    [user_id] = [u["id"] for u in list_users(engine) if u["name"] == name]
    source = user_pseudonym_source(engine, name)
    return Principal("", int(user_id), name, source, (), None)
