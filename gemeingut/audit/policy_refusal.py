"""A request that the server's safety policy refused, as `gemeingut serve --policy` answers one
(400, `code: content_policy_violation`, the rule's id beside the message).

For the red team that refusal is the deployment's answer (model and policy together): it is
logged with its rule and counts as an attack that did not succeed. For every other suite it is
an error in words, as any other 4xx. Kept apart from `endpoint` so that `verify` reads red-team
logs without loading a model backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from gemeingut.errors import InputError
from gemeingut.i18n import _

POLICY_CODE = "content_policy_violation"  # OpenAI's code for a request its policy refuses


class PolicyRefused(InputError):
    """The server's policy refused the request under `rule`, saying `said`."""

    def __init__(self, url: str, rule: str, said: str) -> None:
        super().__init__(
            _(
                "{url}: the server's policy refused the request (rule {rule}): {said}",
                url=url,
                rule=rule,
                said=said,
            ),
            _("the server's policy (`/v1/policy`) filters this request; send another one"),
        )
        self.url, self.rule, self.said = url, rule, said

    def __reduce__(self) -> tuple:
        return (type(self), (self.url, self.rule, self.said))


@runtime_checkable
class Screened(Protocol):
    """A target behind a server that may refuse requests by its policy (an endpoint)."""

    def answers_or_refusals(
        self, requests: Sequence[Any], max_tokens: int
    ) -> list[str | PolicyRefused]: ...


def policy_refusal(url: str, status: int, body: Any) -> PolicyRefused | None:
    """The refusal in an error answer, where the server's policy gave it (a 400 with OpenAI's
    code and the rule named); None for any other error."""
    error = body.get("error") if isinstance(body, dict) else None
    if status != 400 or not isinstance(error, dict) or error.get("code") != POLICY_CODE:
        return None
    rule, said = error.get("rule"), error.get("message")
    if not isinstance(rule, str) or not rule or not isinstance(said, str) or not said.strip():
        return None
    return PolicyRefused(url, rule, said)


def refused_rule(record: dict[str, Any]) -> str | None:
    """The rule of the server's policy that refused a logged probe (None: it was answered, or
    the record's `policy_refused` is no `{"rule": id}`, which `verify` names)."""
    refused = record.get("policy_refused")
    rule = refused.get("rule") if isinstance(refused, dict) else None
    return rule if isinstance(rule, str) and rule else None
