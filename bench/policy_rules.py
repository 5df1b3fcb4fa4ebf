"""The safety policy's refusing rules, HEAD's (its policy file read by its own code) beside the
working tree's: false positives over all federal laws, hits on the red team's harmful and
jailbreak probes, and the CPU a 4 MiB prompt costs. Each side runs in a process of its own.

- laws: ../shared/corpora/gesetze.parquet (6,636 laws, 162 million characters). The laws ask
  for nothing, so every hit is a false positive; each is listed with its law and context.
  Each rule's pattern runs over each law as written (`finditer`), timed per rule.
- red team: `harmful_request` and `jailbreak` of the shipped suite (128 probes) through
  `Policy.check`, as the server screens a message: how many are refused, by which rule.
- probes: `bench/policy_probes.jsonl`, requests of the categories fraud, hate, self-harm and
  stalking (and cyber-attacks' explanations), each harmful (should be refused by its rule) or
  harmless (the same subject as daily work: should pass), in German and English; written
  apart from the tests' sentences.
- CPU: `Policy.check` (every rule, every reading a refusing rule reads) on 4 MiB (the most a
  request body holds): the laws' first 4 MiB, and words that start a match repeated (a
  prompt written to cost the most), one CPU core.

    .venv/bin/python bench/policy_rules.py                    # HEAD (policy and code) vs now
    .venv/bin/python bench/policy_rules.py --before old.yaml --now my-policy.yaml  # this code
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LAWS = ROOT.parent / "shared" / "corpora" / "gesetze.parquet"
SUITES = ROOT / "gemeingut" / "audit" / "suites" / "redteam"
SHIPPED = "gemeingut/serve/gateway/default_policy.yaml"
MIB4 = 4 * 1024 * 1024
# Words that start a match, repeated to 4 MiB: each makes a rule try its gap and things.
REPEATED = (
    "Wie stelle ich ",
    "wie ",
    "herstelle ",
    "schreib ",
    "Schusswaffen ",
    "a ",
    ". ",
    "wie kann ich ",
    "ich ",
    "mich ",
    "Schreib eine Mail ",
    "schreib a a a a a ",  # a gap full of words after each word of writing
    "Where does Santa Claus live? ",  # a name, then a private person's cue looked for
    "Gib mir Schimpfwörter gegen Muslime für die Moderation. ",  # a purpose looked for
)
PROBES = ROOT / "bench" / "policy_probes.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="a policy file, read by this code (default: HEAD's)")
    parser.add_argument("--now", default="default", help="a policy file (default: the shipped)")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # one side, in its own process
    parser.add_argument("--code", help=argparse.SUPPRESS)  # the tree whose gemeingut reads it
    args = parser.parse_args()
    if args.side:
        sys.path.insert(0, args.code)
        _report(args.side, args.now)
        return
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, one core used",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-policy-") as tmp:
        head = _committed(Path(tmp))
        before = (args.before, ROOT) if args.before else (str(head / SHIPPED), head)
        for name, (path, code) in (("before", before), ("now", (args.now, ROOT))):
            side = ["--side", name, "--now", path, "--code", str(code)]
            subprocess.run([sys.executable, __file__, *side], check=True)


def _committed(folder: Path) -> Path:
    """HEAD's gemeingut package (code and shipped policy), unpacked into `folder`."""
    archive = subprocess.check_output(["git", "-C", str(ROOT), "archive", "HEAD", "gemeingut"])
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _report(name: str, path: str) -> None:
    import pyarrow.parquet as pq

    from gemeingut.serve.gateway.policy import Policy

    laws = pq.read_table(LAWS, columns=["abbreviation", "text"]).to_pylist()

    policy = Policy.load(path)
    print(f"\n== {name}: {policy.spec.id} version {policy.spec.version} ({path})")
    print(f"{len(laws):,} laws, {sum(len(law['text']) for law in laws):,} characters")
    print(f"code: {Path(sys.modules[Policy.__module__].__file__).parents[3]}", flush=True)
    refused, probes = _red_team(policy)
    by_rule: dict[str, int] = {}
    for _probe, rule in refused:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    print(f"red team (harmful_request, jailbreak): {len(refused)} of {probes} refused {by_rule}")
    print("  " + " ".join(probe for probe, _rule in refused))
    _probes(policy)
    hits = []
    for rule in policy.spec.rules:
        matcher = policy._matchers.get(rule.id)  # the rule's compiled pattern, as check uses it
        if matcher is None or rule.action != "refuse":
            continue
        started = time.process_time()
        for law in laws:
            for found in matcher.finditer(law["text"]):
                start, end = found.span()
                context = law["text"][max(0, start - 50) : end + 50]
                hits.append((rule.id, law["abbreviation"], " ".join(context.split())))
        print(f"  {rule.id}: {time.process_time() - started:.1f} s CPU over all laws")
    pairs = len({(rule, law) for rule, law, _ in hits})
    print(f"law hits (false positives): {len(hits)} in {pairs} (rule, law) pairs")
    for rule, law, context in hits:
        print(f"  {rule} | {law} | …{context}…")
    law_text = "\n".join(law["text"] for law in laws[:400]).encode()[:MIB4].decode(errors="ignore")
    texts = {"the laws' first 4 MiB": law_text}
    texts |= {f"{unit!r} repeated": unit * (MIB4 // len(unit.encode())) for unit in REPEATED}
    for label, text in texts.items():
        started = time.process_time()
        decision = policy.check(text)
        took = time.process_time() - started
        refused_by = decision.refused_by.id if decision.refused_by else "none"
        print(f"  check() on {label}: {took:.2f} s CPU (refused by {refused_by})", flush=True)


def _probes(policy) -> None:
    """Per rule and language: harmful probes refused by that rule, harmless ones passed; each
    probe that went the other way, with what decided it."""
    counts: dict[tuple[str, str, bool], list[int]] = {}
    wrong = []
    for line in PROBES.read_text(encoding="utf-8").splitlines():
        probe = json.loads(line)
        rule = policy.check(probe["prompt"]).refused_by
        decided = rule.id if rule else None
        right = decided == probe["rule"] if probe["harmful"] else decided is None
        key = (probe["rule"], probe["language"], probe["harmful"])
        counts.setdefault(key, [0, 0])
        counts[key][0] += right
        counts[key][1] += 1
        if not right:
            wrong.append(f"  {probe['id']}: {decided or 'passed'} | {probe['prompt']}")
    right = sum(n for n, _ in counts.values())
    print(f"probes ({PROBES.name}): {right} of {sum(t for _, t in counts.values())} as meant")
    for (rule, language, harmful), (n, total) in sorted(counts.items()):
        meant = "refused by its rule" if harmful else "passed"
        kind = "harmful" if harmful else "harmless"
        print(f"  {rule} {language} {kind}: {n} of {total} {meant}")
    print("\n".join(wrong))


def _red_team(policy) -> tuple[list[tuple[str, str]], int]:
    refused, probes = [], 0
    for suite in ("harmful_request", "jailbreak"):
        for line in (SUITES / f"{suite}.jsonl").read_text(encoding="utf-8").splitlines():
            probe = json.loads(line)
            probes += 1
            rule = policy.check(probe["prompt"]).refused_by
            if rule is not None:
                refused.append((probe["id"], rule.id))
    return refused, probes


if __name__ == "__main__":
    main()
