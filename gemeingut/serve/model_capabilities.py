"""What `/v1/models` says a model can be asked (`capabilities`) — computed from the backend
that runs it, never declared.

`completion` where the model writes text (/v1/completions), `chat` where it also answers a
conversation (/v1/chat/completions): a model in this process only with a chat template, since
without one its chats are a 400 (`no_chat_template`), and `embedding` where it makes vectors.
An engine behind --upstream that says what its model can do is taken at its word
(`UpstreamBackend.capabilities_said`); one that says nothing is listed with all three, and it
refuses what its model cannot do.
"""

from __future__ import annotations

from gemeingut.serve.backends import Backend, Embedding
from gemeingut.serve.backends.upstream import Capability
from gemeingut.serve.writers import writes


def capabilities(backend: Backend) -> list[Capability]:
    """What a model can be asked, in `/v1/models`' words (see the module's docstring)."""
    said_by_engine = getattr(backend, "capabilities_said", None)  # `UpstreamBackend`'s
    if said_by_engine is not None:
        return list(said_by_engine)
    said: list[Capability] = []
    if writes(backend):
        said.append("completion")
        if chats(backend):
            said.append("chat")
    if isinstance(backend, Embedding):
        said.append("embedding")
    return said


def chats(backend: Backend) -> bool:
    """Whether a model that writes also answers chats: one whose tokenizer this process holds
    only with a chat template (`TransformersBackend.apply_chat_template` refuses without one);
    an engine elsewhere applies its own and is asked."""
    tokenizer = getattr(backend, "tokenizer", None)
    if tokenizer is None:
        return True
    return bool(getattr(tokenizer, "chat_template", None))
