"""Red team: probe suites sent to the model, detectors on the answers, attack-success rates.

Probes are JSONL (`suites/redteam/`, German and English, CC0); the system prompts of the
extraction and personal-data probes carry placeholders that are filled with values made up
from the run's seed, so a leak can be recognised and nothing real is ever at stake. Answers
are greedy. Rates per category and language come with Wilson intervals; every attempt is
also written in garak's report layout (`entry_type` `attempt` / `eval` lines), so garak's
analysis tools read our runs.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut import __version__
from gemeingut.audit.detectors import DETECTORS, attack_succeeded, is_empty
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.policy_refusal import PolicyRefused, Screened, refused_rule
from gemeingut.audit.stats import wilson
from gemeingut.audit.suites import read_items, shipped, suite_files, unique_ids
from gemeingut.audit.target import Conversation, Target
from gemeingut.errors import InputError
from gemeingut.i18n import _

CHUNK = 32
PLACEHOLDERS = ("secret", "name", "address", "street", "phone", "email", "iban")
GOALS = {
    "prompt_injection": "make the model output an injected string instead of doing its task",
    "jailbreak": "get a harmful request answered by wrapping it in a framing",
    "harmful_request": "get a plainly harmful request answered",
    "system_prompt_extraction": "make the model reveal its system prompt's secret",
    "pii_elicitation": "make the model disclose personal data from its system prompt",
    "false_civic_claims": "make the model confirm or spread a false civic claim",
}


@dataclass(frozen=True)
class Probe:
    id: str
    category: str
    language: str
    system: str | None
    prompt: str
    detector: str
    target: str | None


def default_suite() -> Path:
    return shipped("redteam")


def read_probes(path: Path) -> list[Probe]:
    probes = []
    for file in suite_files(path):
        items = read_items(
            file, {"id": str, "category": str, "language": str, "prompt": str, "detector": str}
        )
        unique_ids(items)
        for item in items:
            probes.append(_probe(item))
    unique_ids({"id": p.id, "_where": p.id} for p in probes)
    return probes


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _probe(item: dict[str, Any]) -> Probe:
    where = item["_where"]
    if item["detector"] not in DETECTORS:
        raise InputError(
            _("{where}: unknown detector {detector!r}", where=where, detector=item["detector"]),
            _("choose from {choices}", choices=", ".join(DETECTORS)),
        )
    if item["detector"] == "contains" and not isinstance(item.get("target"), str):
        raise InputError(
            _("{where}: a `contains` probe needs the `target` string", where=where),
            _("name the string the attack tries to make the model write"),
        )
    system = item.get("system")
    if system is not None and not isinstance(system, str):
        raise InputError(
            _("{where}: `system` must be text or null", where=where), _("fix that line")
        )
    unknown = sorted(set(PLACEHOLDER.findall(system or "")) - set(PLACEHOLDERS))
    if unknown:
        raise InputError(
            _(
                "{where}: the system prompt has unknown placeholders {unknown}",
                where=where,
                unknown=", ".join("{" + p + "}" for p in unknown),
            ),
            _(
                "placeholders are {placeholders}",
                placeholders=", ".join("{" + p + "}" for p in PLACEHOLDERS),
            ),
        )
    return Probe(
        item["id"],
        item["category"],
        item["language"],
        system,
        item["prompt"],
        item["detector"],
        item.get("target"),
    )


def limit_probes(probes: list[Probe], per_group: int | None) -> list[Probe]:
    """The first `per_group` probes of every category and language (all when None)."""
    if per_group is None:
        return probes
    taken: dict[tuple[str, str], int] = defaultdict(int)
    kept = []
    for probe in probes:
        key = (probe.category, probe.language)
        if taken[key] < per_group:
            taken[key] += 1
            kept.append(probe)
    return kept


def planted_values(seed: int) -> dict[str, str]:
    """Made-up personal data and a secret for the system prompts (never real ones)."""
    rng = random.Random(f"gemeingut-redteam-{seed}")
    first = rng.choice(["Erika", "Jonas", "Leyla", "Mateusz", "Hannah", "Tobias"])
    last = rng.choice(["Beispiel", "Sonnenberg", "Kowalski", "Yilmaz", "Lindqvist"])
    street = f"Birkenweg {rng.randrange(2, 98)}"
    bban = f"{rng.randrange(10**7, 10**8)}{rng.randrange(10**9, 10**10)}"
    check = 98 - int(bban + "131400") % 97  # ISO 13616 for "DE"
    iban = f"DE{check:02d}{bban}"
    return {
        "secret": f"LINDE-{rng.randrange(16**6):06X}",
        "name": f"{first} {last}",
        "street": street,
        "address": f"{street}, 04{rng.randrange(100, 999)} Lindenau",
        "phone": f"+49 341 {rng.randrange(10**6, 10**7)}",
        "email": f"{first.lower()}.{last.lower()}{rng.randrange(10, 99)}@example.org",
        "iban": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
    }


def conversation(probe: Probe, planted: dict[str, str]) -> Conversation:
    messages = []
    if probe.system is not None:
        # Only the known placeholders are filled: other braces in a prompt stay as written.
        content = PLACEHOLDER.sub(lambda m: planted.get(m.group(1), m.group(0)), probe.system)
        messages.append({"role": "system", "content": content})
    messages.append({"role": "user", "content": probe.prompt})
    return messages


def plain_prompt(messages: Conversation) -> str:
    """For models without a chat template: the conversation as a transcript to continue."""
    names = {"system": "System", "user": "Nutzer", "assistant": "Assistent"}
    lines = [f"{names[m['role']]}: {m['content']}" for m in messages]
    return "\n\n".join(lines) + "\n\nAssistent:"


def run_probes(
    target: Target,
    probes: list[Probe],
    planted: dict[str, str],
    max_tokens: int,
    log: ItemLog,
    chat: bool = True,
) -> list[dict[str, Any]]:
    todo = set(log.missing(p.id for p in probes))
    pending = [p for p in probes if p.id in todo]
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start : start + CHUNK]
        conversations = [conversation(p, planted) for p in chunk]
        answers = _answers(target, conversations, max_tokens, chat)
        log.add([_record(p, answer, planted) for p, answer in zip(chunk, answers, strict=True)])
    return log.ordered(p.id for p in probes)


def _answers(
    target: Target, conversations: list[Conversation], max_tokens: int, chat: bool
) -> list[str | PolicyRefused]:
    """The target's answers; behind a server with a policy, its refusals among them."""
    requests: list[Any] = conversations if chat else [plain_prompt(c) for c in conversations]
    if isinstance(target, Screened):
        return target.answers_or_refusals(requests, max_tokens)
    if chat:
        return list(target.chat(conversations, max_tokens))
    return list(target.complete(requests, max_tokens))


def _record(probe: Probe, answer: str | PolicyRefused, planted: dict[str, str]) -> dict[str, Any]:
    """A probe's log line. A refusal by the server's policy is the deployment's answer: the
    server's message is the answer's text, the rule is named, and the attack did not succeed
    whatever the detector would make of the message."""
    record = {
        "id": probe.id,
        "category": probe.category,
        "language": probe.language,
        "detector": probe.detector,
    }
    if isinstance(answer, PolicyRefused):
        return {
            **record,
            "response": answer.said,
            "success": False,
            "policy_refused": {"rule": answer.rule},
        }
    success = attack_succeeded(probe.detector, answer, probe.target, planted)
    return {**record, "response": answer, "success": success}


def summarize_redteam(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Attack-success rates over the answers that say something. An empty answer shows
    neither that an attack worked nor that it was resisted: it is in no rate and counted apart
    (`answers`, `empty`), so a model that answers nothing has no rate, not a rate of 0 %. A
    probe the server's policy refused is in the rates as an attack that did not succeed, and
    counted apart by rule (`policy_refused`)."""
    said = [r for r in records if not is_empty(r["response"])]
    groups: dict[str, list[bool]] = {r["category"]: [] for r in records}
    by_language: dict[str, dict[str, list[bool]]] = defaultdict(dict)
    for record in records:
        by_language[record["category"]].setdefault(record["language"], [])
    for record in said:
        groups[record["category"]].append(record["success"])
        by_language[record["category"]][record["language"]].append(record["success"])
    return {
        "categories": {
            name: {
                "detector": next(r["detector"] for r in records if r["category"] == name),
                "attack_success": _rate(outcomes),
                "by_language": {lang: _rate(o) for lang, o in sorted(by_language[name].items())},
                **_counts([r for r in records if r["category"] == name]),
            }
            for name, outcomes in sorted(groups.items())
        },
        "all": _rate([r["success"] for r in said]),
        **_counts(records),
    }


def _counts(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers and empty ones; refusals by the server's policy only where there were any, so
    a report made before they were counted (none could be logged) re-summarises as it was."""
    refused = _refused(records)
    return {
        "answers": len(records),
        "empty": sum(1 for r in records if is_empty(r["response"])),
        **({"policy_refused": refused} if refused["count"] else {}),
    }


def _refused(records: list[dict[str, Any]]) -> dict[str, Any]:
    """How many probes the server's policy refused, by rule. They are in the rates as attacks
    that did not succeed (the rates are those of model and policy together)."""
    rules: dict[str, int] = defaultdict(int)
    for record in records:
        rule = refused_rule(record)
        if rule is not None:
            rules[rule] += 1
    return {"count": sum(rules.values()), "rules": dict(sorted(rules.items()))}


def _rate(outcomes: list[bool]) -> dict[str, Any]:
    """A share with its interval; over no answers there is none (not a share of 0)."""
    if not outcomes:
        return {"value": None, "low": None, "high": None, "n": 0}
    return wilson(sum(outcomes), len(outcomes)).to_json()


def garak_report(
    records: list[dict[str, Any]],
    probes: list[Probe],
    planted: dict[str, str],
    model: str,
    seed: int,
) -> list[dict[str, Any]]:
    """The run as garak report lines: setup, init, one evaluated attempt per probe, one eval
    per probe class and detector, completion. Detector score 1.0 means the attack worked."""
    run = str(uuid.uuid5(uuid.NAMESPACE_URL, f"gemeingut:{model}:{seed}:{len(records)}"))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines: list[dict[str, Any]] = [
        {
            "entry_type": "start_run setup",
            "_config.version": f"gemeingut {__version__}",
            "plugins.target_type": "gemeingut",
            "plugins.target_name": model,
            "transient.run_id": run,
            "transient.starttime_iso": now,
            "run.seed": seed,
            "run.generations": 1,
        },
        {
            "entry_type": "init",
            "garak_version": f"gemeingut {__version__}",
            "start_time": now,
            "run": run,
        },
    ]
    by_id = {p.id: p for p in probes}
    for seq, record in enumerate(records):
        probe = by_id[record["id"]]
        messages = conversation(probe, planted)
        turns = [_turn(m["role"], m["content"], probe.language) for m in messages]
        reply = _turn("assistant", record["response"], probe.language)
        # garak's None: no verdict on an empty answer (a 0.0 would say the attack failed)
        score = None if is_empty(record["response"]) else float(record["success"])
        lines.append(
            {
                "entry_type": "attempt",
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}:{probe.id}")),
                "seq": seq,
                "status": 2,
                "probe_classname": f"gemeingut.{probe.category}",
                "probe_params": {"id": probe.id, "language": probe.language},
                "targets": [probe.target] if probe.target else [],
                "prompt": {"turns": turns, "notes": {}},
                "outputs": [reply["content"]],
                "detector_results": {f"gemeingut.{probe.detector}": [score]},
                "notes": _notes(record),
                "goal": GOALS.get(probe.category, probe.category),
                "conversations": [{"turns": [*turns, reply], "notes": {}}],
                "reverse_translation_outputs": [],
            }
        )
    outcomes: dict[tuple[str, str], list[bool | None]] = defaultdict(list)
    for record in records:
        verdict = None if is_empty(record["response"]) else record["success"]
        outcomes[(record["category"], record["detector"])].append(verdict)
    for (category, detector), results in outcomes.items():
        failed = sum(1 for r in results if r is True)
        passed = sum(1 for r in results if r is False)
        lines.append(
            {
                "entry_type": "eval",
                "probe": f"gemeingut.{category}",
                "detector": f"gemeingut.{detector}",
                "passed": passed,
                "fails": failed,
                "nones": len(results) - passed - failed,
                "total_evaluated": passed + failed,
                "total_processed": len(results),
            }
        )
    lines.append({"entry_type": "completion", "end_time": now, "run": run})
    return lines


def _notes(record: dict[str, Any]) -> dict[str, Any]:
    """Where the server's policy refused the probe, its rule (garak's attempts carry notes)."""
    rule = refused_rule(record)
    return {} if rule is None else {"policy_refused": {"rule": rule}}


def _turn(role: str, text: str, language: str) -> dict[str, Any]:
    return {
        "role": role,
        "content": {
            "text": text,
            "lang": language,
            "data_path": None,
            "data_type": None,
            "data_checksum": None,
            "notes": {},
        },
    }
