"""The published policy applied to a request before the model sees it (`gateway/policy.py`).

A refusal is a 400 that names the rule, in German unless the client asks for English
(`Accept-Language: en`), and carries its id as the error's `rule` (the page links it to the
rule on its policy view); it is recorded in the audit log as `policy:<rule>`, under the id the
answer would have had (`chatcmpl-…`), which the error names as its `id`, as the gate's
refusals do (`gate.admit`): whichever of it and `request_id` a person quotes, `admin audit
export --request` finds the record. Redactions change
the text and are recorded as the request's decision, `redacted:<rules>`.

What is screened is what the person sent: a chat's messages, a prompt, and of an answer from
documents or a draft only the fields the person typed (`screen_fields`: question, subject,
audience, occasion, key points), each refusal naming its field. The passages a collection
route puts beside them are the organisation's own documents, which the caller may read through
`/search` anyway: they are not the caller's input, reach the model as the collection holds
them (a quote of them is checked against the same text), and neither refuse the request nor
make its decision `redacted:`.
"""

from __future__ import annotations

from fastapi import Request

from gemeingut.i18n import _, accepted_language
from gemeingut.serve.backends import Backend, Prompt, Relaying, RequestRejected, Tokenizing
from gemeingut.serve.gateway.identity import Principal
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.http_errors import APIError, backend_errors_as_http


def screen_texts(
    request: Request,
    principal: Principal | None,
    request_id: str,
    texts: list[str],
    param: str,
    model: str | None = None,
) -> tuple[list[str], str]:
    """The texts (all of the request's field `param`) as the model may see them, and the
    decision for the audit log (a refusal is recorded under `model`, by default the server's
    first)."""
    fields = [(param, text) for text in texts]
    return screen_fields(request, principal, request_id, fields, model)


def screen_fields(
    request: Request,
    principal: Principal | None,
    request_id: str,
    fields: list[tuple[str, str]],
    model: str | None = None,
) -> tuple[list[str], str]:
    """The texts of the request's `fields` ((field, text), a field once for each of its
    texts) as the model may see them, and one decision for the audit log: a refusal names
    the field the rule found its words in, a redaction is the request's whichever field it
    changed."""
    policy: Policy | None = request.app.state.policy
    if policy is None:
        return [text for _field, text in fields], "allowed"
    screened, redacted = [], set()
    for param, text in fields:
        decision = policy.check(text)
        if decision.refused_by is not None:
            rule = decision.refused_by
            # `rule`: for a client to show the rule, as /v1/policy has it
            facts = {"rule": rule.id}
            gateway = request.app.state.gateway
            if gateway is not None:
                model = model or request.app.state.backend.model_name
                gateway.record(
                    request.url.path, 400, f"policy:{rule.id}", principal, None, model, request_id
                )
                facts["id"] = request_id  # what the record is kept under
            raise APIError(
                400,
                policy.refusal(rule, language(request)),
                param=param,
                code="content_policy_violation",
                facts=facts,
            )
        screened.append(decision.text)
        redacted.update(decision.redacted_by)
    return screened, ("redacted:" + ",".join(sorted(redacted)))[:80] if redacted else "allowed"


def screen_prompts(
    request: Request,
    principal: Principal | None,
    request_id: str,
    backend: Backend,
    prompts: list[Prompt],
    param: str = "prompt",
) -> tuple[list[Prompt], str]:
    """Text prompts are screened as they are; a token-id prompt is screened as its text and
    stays token ids unless a rule changed that text. `param`: the request's field of the
    prompts, which a refusal names (`input` for embeddings)."""
    if request.app.state.policy is None:
        return prompts, "allowed"
    texts = []
    for prompt in prompts:
        if isinstance(prompt, str):
            texts.append(prompt)
        elif isinstance(backend, Tokenizing):
            try:
                texts.append(backend.detokenize(list(prompt)))
            except RequestRejected as rejected:  # an id outside the vocabulary
                raise APIError(400, rejected.message, param, rejected.code) from None
        elif isinstance(backend, Relaying):
            texts.append(_engine_text(backend, list(prompt), param))
        else:
            raise APIError(
                400,
                _("token-id prompts cannot be checked against this server's policy; send text"),
                param=param,
                code="token_ids_not_screenable",
            )
    screened, decision = screen_texts(
        request, principal, request_id, texts, param, backend.model_name
    )
    kept = [
        prompt if text == before else text
        for prompt, text, before in zip(prompts, screened, texts, strict=True)
    ]
    return kept, decision


def _engine_text(backend: Relaying, ids: list[int], param: str) -> str:
    """Token ids as text by the engine's own tokenizer (`/detokenize`, which vLLM and
    `gemeingut serve` have): lm-evaluation-harness sends its prompts as ids."""
    with backend_errors_as_http(param):
        try:
            answer = backend.relay("/detokenize", {"tokens": ids})
        except RequestRejected as rejected:
            if rejected.code != "not_found":
                raise
            raise APIError(
                400,
                _(
                    "token-id prompts cannot be checked against this server's policy: its "
                    "engine has no /detokenize; send text"
                ),
                param=param,
                code="token_ids_not_screenable",
            ) from None
    text = answer.get("prompt")
    if not isinstance(text, str):
        raise APIError(
            502,
            _("the upstream engine's /detokenize answer has no prompt text"),
            code="engine_unavailable",
            type="server_error",
        )
    return text


def language(request: Request) -> str:
    """The language the client prefers of German (the default) and English."""
    return accepted_language(request.headers.get("accept-language"))
