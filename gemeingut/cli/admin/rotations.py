"""The rotation chain of a key: the keys that replaced it one after the other. `keys rotate`,
`keys revoke` and `quotas set --key` refuse a key that no longer works by pointing at the last
of them, so the chain is read in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine


def rotation_chain(engine: Engine, key_id: str) -> list[tuple[str, bool]]:
    """`key_id` and the keys that replaced it one after the other, each with whether it
    works (not revoked); empty where `key_id` works or does not exist. `rotate_key` creates
    the new key, with the old one's user and name, in the moment it revokes the old one."""
    from sqlalchemy import select

    from gemeingut.serve.gateway.tables import api_keys

    keys, chain = api_keys.c, []
    with engine.connect() as conn:
        found = conn.execute(select(api_keys).where(keys.id == key_id)).mappings().first()
        while found is not None and found["revoked_at"] is not None:
            chain.append((found["id"], False))
            found = (
                conn.execute(
                    select(api_keys).where(
                        keys.user_id == found["user_id"],
                        keys.name == found["name"],
                        keys.created_at == found["revoked_at"],
                        keys.id.not_in([seen for seen, _works in chain]),
                    )
                )
                .mappings()
                .first()
            )
    if chain and found is not None:
        chain.append((found["id"], True))
    return chain


def chain_shown(chain: list[tuple[str, bool]]) -> str:
    """A `rotation_chain` as the ids in the order they replaced each other, `a → b → c`."""
    return " → ".join(key_id for key_id, _works in chain)
