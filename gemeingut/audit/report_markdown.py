"""The audit's Markdown reports (`report.de.md`, `report.en.md`), written from `report.json`
alone. Its own module, free of the audit's runner and plots, so that `verify` renders the
reports again from a bundle's `report.json` with the very code the audit stage wrote them with
(and without loading the runner, the suites' readers or the server)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from gemeingut.audit.bias_calibration import unreliable_flags
from gemeingut.audit.bias_methods import CLUSTERED_V2, GRAMMAR_V3, WILSON_V1
from gemeingut.audit.clustered_share import fewest_clusters
from gemeingut.audit.findings import ANONYMOUS
from gemeingut.audit.report_text import TEXT, interval
from gemeingut.audit.report_text import name as local_name
from gemeingut.i18n import localized, numeral, plural

GARAK_REPORT = "redteam.garak.report.jsonl"  # the red team's attempts in garak's format
BUILD = "gemeingut build "  # a build's audit on its own suites: run in the recipe's folder
# Detectors that count any answer that does not refuse (or correct) as a success, a meaningless
# one too: the report says so for each one its red team used.
LENIENT = ("refusal", "affirmation")
# How the bias section says a category is flagged, by the method its intervals were computed by
_FLAG_TEXT = {
    WILSON_V1: ("bias_flag_wilson",),
    CLUSTERED_V2: ("bias_flag_clustered",),
    GRAMMAR_V3: ("bias_flag_clustered", "bias_flag_controls"),
}


def lenient_detectors(categories: dict[str, Any]) -> list[str]:
    """The lenient detectors (`LENIENT`) that a category of the red team used, as
    `report.json` records each category's `detector`: the report, the model card and the web
    page state the caveat of these, and of no other."""
    used = {c.get("detector") for c in categories.values()}
    return [detector for detector in LENIENT if detector in used]


def lenient_caveat(categories: dict[str, Any], language: str) -> str:
    """The caveat of each lenient detector the red team used, in `language` (each sentence
    opens with a space; empty where it used none)."""
    return "".join(TEXT[language]["lenient_" + d] for d in lenient_detectors(categories))


def rerun_command(arguments: list[str], cwd: Path, out: Path) -> str:
    """The `gemeingut` command with `arguments` as run in `cwd`, written to run in `out`, the
    folder the report lies in, where every command of the report runs (the lm_eval one needs
    its `tasks/`): from elsewhere it first changes to `cwd`, by its path relative to `out`."""
    command = shlex.join(["gemeingut", *arguments])
    back = os.path.relpath(cwd.resolve(), out.resolve())
    if back.startswith("-"):  # a folder named like an option: `cd -x` would read it as one
        back = os.path.join(".", back)
    return command if back == "." else f"cd {shlex.quote(back)} && {command}"


def report_file(language: str) -> str:
    return f"report.{language}.md"


def markdown(report: dict[str, Any], language: str) -> str:
    t = {**TEXT[language], "_lang": language}
    model = report["model"]
    lines = [
        f"# {t['title']}: {model['name']}",
        "",
        f"- {t['model']}: `{model.get('path') or model.get('url')}` "
        f"({local_name(model['kind'], language)})",
        f"- {t['lineage']}: `{model['lineage']}`",
        f"- {t['suites']}: {', '.join(t.get(suite, suite) for suite in report['suites'])}",
    ]
    if report.get("training_data"):
        lines.append(f"- {t['training_data']}: {_training_data(report['training_data'], t)}")
    if model.get("precision"):
        lines.append(f"- {t['precision']}: {model['precision']}")
    if model.get("device"):
        lines.append(f"- {t['device']}: {model['device']}")
    if report.get("command"):
        lines += [
            "",
            f"## {t['rerun']}",
            "",
            t["rerun_text_build" if report["command"].startswith(BUILD) else "rerun_text"],
            "",
            "```bash",
            report["command"],
            "```",
        ]
    for section, writer in (
        ("tasks", _tasks),
        ("bias", _bias),
        ("memorisation", _memorisation),
        ("redteam", _redteam),
        ("findings", _findings),
    ):
        if report.get(section):
            lines += ["", *writer(report[section], t)]
    plots = (report.get("plots") or {}).get(language, [])
    if plots:
        lines += ["", f"## {t['plots']}", ""]
        lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _training_data(data: dict[str, Any], t: dict[str, str]) -> str:
    """Which documents memorisation and the overlap check read (`run.training_data`), per
    source with its files and documents; a report from before names one kind and its files."""
    if "sources" not in data:
        files = _counted(data["files"], "file", t)
        said = t["data_" + data["kind"]].format(files=files)
        return said + (t["data_base_unchecked"] if data["kind"] == "finetuning" else "")
    sources = data["sources"]
    if not sources:
        return t["data_unknown"]
    kinds = [source["kind"] for source in sources]
    parts = []
    for source in sources:
        kind = source["kind"]
        tuned = kind == "finetuning"
        key = "pretraining_base" if kind == "pretraining" and "finetuning" in kinds else kind
        if tuned and "model" in source:  # an earlier fine-tune's of the lineage
            key = "finetuning_earlier"
        counts = (
            f"{_counted(len(source['files']), 'file', t)}, "
            f"{_counted(source['documents'], 'example' if tuned else 'document', t)}"
        )
        parts.append(t["data_" + key].format(files=counts, model=source.get("model")))
    return t["data_and"].join(parts) + _unchecked(data, kinds, t)


def _unchecked(data: dict[str, Any], kinds: list[str], t: dict[str, str]) -> str:
    """What of the lineage's training data the audit could not read (`subject.Unavailable`):
    a foreign base's pretraining data as ever, the rest each by its model and why; a report
    from before lists none and names only the base's pretraining data."""
    if "unavailable" not in data:
        unchecked = "finetuning" in kinds and "pretraining" not in kinds
        return t["data_base_unchecked"] if unchecked else ""
    missing = data["unavailable"]
    foreign = any(m["reason"] == "foreign_base" for m in missing)
    named = [
        t.get(f"missing_{m['kind']}_{m['reason']}", t["missing_other"]).format(**m)
        for m in missing
        if m["reason"] != "foreign_base"
    ]
    said = t["data_base_unchecked"] if foreign else ""
    return said + (t["data_unchecked"].format(missing=t["data_and"].join(named)) if named else "")


def _counted(n: int, what: str, t: dict[str, str]) -> str:
    """`n` and its noun ("1 Befund", "3 Befunde"): the words from `TEXT`, the rule `plural`'s."""
    return plural(n, t[f"{what}_one"], t[f"{what}_many"].format(n=_n(n, t)))  # type: ignore[arg-type]


def _memorisation_by_source(memo: dict[str, Any], t: dict[str, str]) -> list[str]:
    """A sample drawn from several sources: each source's figures (`memorisation_sources`);
    a source none of the sample came from as not checked, with the reason."""
    parts = memo.get("sources") or {}
    if not parts:
        return []
    tokens = _counted(memo["prefix_tokens"] + memo["continuation_tokens"], "token", t)

    def rate(part: dict[str, Any], key: str) -> str:  # each rate apart, as `verify` checks it
        if part[key] is not None:
            return _iv(part[key], t)
        return t["memo_source_" + part["not_checked"]].format(tokens=tokens)

    rows = [
        [
            _source_name(key, t),
            f"{_n(part['samples'], t)} / {_n(part['eligible_documents'], t)}",
            rate(part, "exact"),
            rate(part, "near_verbatim"),
        ]
        for key, part in parts.items()
    ]
    header = [t["source"], t["samples_of"], t["exact"], t["near"]]
    return ["", t["memo_by_source"], "", *_table(header, rows)]


def _source_name(key: str, t: dict[str, str]) -> str:
    """A source by its key (`subject.source_key`): pretraining, fine-tuning (given data is one
    source), an earlier fine-tune's data with its id."""
    kind, _sep, model = key.partition(":")
    return t["source_finetuning_earlier"].format(model=model) if model else t["source_" + kind]


def _iv(estimate: dict[str, Any], t: dict[str, str], percent: bool = True) -> str:
    return interval(estimate, percent, t["_lang"])


def _n(value: int, t: dict[str, str]) -> str:
    """A count as the report's language writes it (6.636 in German, 6,636 in English)."""
    return numeral(value, t["_lang"])


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _tasks(tasks: dict[str, Any], t: dict[str, str]) -> list[str]:
    info = tasks["lm_eval"]
    contamination = tasks.get("contamination", {})
    rows = []
    for name, task in tasks["tasks"].items():
        if contamination.get("checked"):
            seen = contamination["tasks"][name]
            overlap = f"{_n(seen['any_overlap'], t)}/{_n(seen['items'], t)}"
        else:
            reason = t["reason_" + contamination.get("reason", "training_unknown")]
            overlap = t["not_checked"].format(reason=reason)
        for metric, m in task["metrics"].items():
            stderr = f" ± {m['stderr']:.3f}" if m["stderr"] is not None else ""
            rows.append(
                [
                    f"`{name}`",
                    task["what"][t["_lang"]],
                    _n(task["items"], t),
                    metric,
                    localized(f"{m['value']:.3f}{stderr}", t["_lang"]),
                    overlap,
                ]
            )
    return [
        f"## {t['tasks']}",
        "",
        t["tasks_method"].format(
            version=info["version"], model=info["model"], suite=tasks.get("suite", "")
        ),
        "",
        *_table([t["task"], t["what"], t["items"], t["metric"], t["value"], t["overlap"]], rows),
        "",
        "```bash",
        info["command"],
        "```",
    ]


def _bias(bias: dict[str, Any], t: dict[str, str]) -> list[str]:
    """The table and how its intervals were computed, by the method `report.json` records: a
    clustered report says so and gives each category's word pairs (its clusters)."""
    method = bias.get("method", WILSON_V1)  # reports before methods had one: v1
    clustered = method in (CLUSTERED_V2, GRAMMAR_V3)
    unreliable = unreliable_flags(bias)

    def row(label: str, c: dict[str, Any]) -> list[str]:
        return [
            label,
            _n(c["n"], t),
            *([_n(c["word_pairs"], t)] if clustered else []),
            _iv(c["prefers_stereotype"], t),
            _iv(c["mean_delta_logprob"], t, percent=False),
            _iv(c["sentence"]["prefers_stereotype"], t),
            (t["yes"] + ("\\*" if label in caveated else "")) if c["flagged"] else t["no"],
        ]

    caveated = {local_name(key, t["_lang"]) for key in unreliable}
    rows = [row(local_name(key, t["_lang"]), c) for key, c in bias["categories"].items()]
    rows.append(row(f"**{t['total']}**", bias["all"]))
    header = [
        t["category"],
        t["pairs"],
        *([t["word_pairs"]] if clustered else []),
        *(t["prefers"], t["delta"], t["sentence"], t["flagged"]),
    ]
    flag = " ".join(t[key] for key in _FLAG_TEXT[method])  # an unknown method: not rendered
    if clustered:
        clusters = _n(bias["all"]["word_pairs"], t)
        flag = flag.format(method=method, clusters=clusters, fewest=_n(fewest_clusters(), t))
    return [
        f"## {t['bias']}",
        "",
        t["bias_method"].format(
            suite=bias["suite"],
            context=_n(bias["all"]["prefers_stereotype"]["n"], t),
            pairs=_counted(bias["all"]["n"], "pair", t),
        )
        + " "
        + flag,
        "",
        *_table(header, rows),
        *_unreliable(unreliable, t),
        *_forms(bias.get("form_preference") or {}, t),
    ]


def _unreliable(unreliable: dict[str, dict[str, Any]], t: dict[str, str]) -> list[str]:
    """The caveat beside each flag the calibration found unreliable (`bias_calibration`)."""
    return (
        [
            "",
            *(
                "\\* "
                + t["flag_unreliable"].format(
                    category=local_name(key, t["_lang"]),
                    flagged=_n(found["flagged"], t),
                    models=_n(found["models"], t),
                    rate=_iv(found["rate"], t),
                )
                for key, found in unreliable.items()
            ),
        ]
        if unreliable
        else []
    )


def _forms(forms: dict[str, Any], t: dict[str, str]) -> list[str]:
    """Which grammatical form the model prefers in the controls (`bias_forms`): none for
    reports without the finding."""
    if not forms:
        return []
    rows = [
        [
            contrast,
            _n(c["word_pairs"], t),
            _iv(c["prefers_first"], t),
            _iv(c["mean_delta_logprob"], t, percent=False),
            t["yes"] if c["flagged"] else t["no"],
        ]
        for contrast, c in forms.items()
    ]
    header = [t["contrast"], t["word_pairs"], t["prefers_first"], t["delta"], t["flagged"]]
    return ["", f"### {t['forms']}", "", t["forms_method"], "", *_table(header, rows)]


def _memorisation(memo: dict[str, Any], t: dict[str, str]) -> list[str]:
    lines = [f"## {t['memorisation']}", ""]
    if "not_run" in memo:
        lines.append(t["memo_not_run"].format(reason=t["reason_" + memo["not_run"]]))
    else:
        k, m = memo["prefix_tokens"], memo["continuation_tokens"]
        lines += [
            t["memo_method"].format(
                samples=_counted(memo["samples"], "training_document", t),
                eligible=_n(memo["eligible_documents"], t),
                total=_counted(k + m, "token", t),
                k=_counted(k, "token", t),
                m=_counted(m, "token", t),
                near=localized(str(memo["near_verbatim_similarity"]), t["_lang"]),
                where=t["from_offset"] if memo.get("random_offset") else t["from_start"],
            ),
            "",
            *_table(
                ["", t["rate"]],
                [
                    [t["exact"], _iv(memo["exact"], t)],
                    [t["near"], _iv(memo["near_verbatim"], t)],
                ],
            ),
            *_memorisation_by_source(memo, t),
        ]
        if memo["memorised"]:
            rows = [
                [
                    f"`{d['document']}`",
                    f"`{d['license']}`",
                    localized(f"{d['similarity']:.2f}", t["_lang"]),
                ]
                for d in memo["memorised"]
            ]
            lines += [
                "",
                f"### {t['memorised_docs']}",
                "",
                *_table([t["document"], t["licence"], t["similarity"]], rows),
            ]
        spans = [
            (s, d)
            for traced in memo.get("traced", [])
            for s in traced["spans"]
            for d in s["documents"]
        ]
        if spans:
            rows = [[_quote(s["text"]), f"`{d['id']}` (`{d['license']}`)"] for s, d in spans]
            lines += ["", f"### {t['traced']}", "", *_table([t["span"], t["found_in"]], rows)]
    if "canaries" in memo:
        lines += ["", *_canaries(memo["canaries"], t)]
    pii = memo["personal_data"]
    rows = [
        [
            t[label],
            _n(part["generations"], t),
            _iv(part["with_personal_data"], t),
            _counts(part["placeholders"], t),
            _counts(part["raw_personal_data"], t),
        ]
        for label, part in (
            ("continuations", pii["continuations"]),
            ("baits", pii["baiting_prompts"]),
        )
        if part["generations"]
    ]
    lines += [
        "",
        f"### {t['pii']}",
        "",
        *_table(
            [t["pii_source"], t["generations"], t["with_pii"], t["placeholders"], t["raw"]], rows
        ),
    ]
    return lines


def _canaries(found: dict[str, Any], t: dict[str, str]) -> list[str]:
    def seen(value: bool | None) -> str:
        return t["unknown"] if value is None else t["yes"] if value else t["no"]

    rows = [
        [
            f"`{c['id']}`",
            seen(c["in_training_data"]),
            _n(c["rank"], t),
            localized(str(c["exposure"]), t["_lang"]),
        ]
        for c in found["canaries"]
    ]

    def exposure(value: float | None) -> str:
        return "–" if value is None else localized(str(value), t["_lang"])

    method = t["canary_method"].format(
        n=_n(found["candidates"], t),
        n1=found["candidates"] + 1,  # log2 of it: a formula's term, as Python writes it
        max=exposure(found["max_exposure"]),
        trained=exposure(found["mean_exposure_trained"]),
        control=exposure(found["mean_exposure_control"]),
    )
    return [
        f"### {t['canaries']}",
        "",
        method,
        "",
        *_table([t["canary"], t["in_training"], t["rank"], t["exposure"]], rows),
    ]


def _redteam(red: dict[str, Any], t: dict[str, str]) -> list[str]:
    languages = sorted({lang for c in red["categories"].values() for lang in c["by_language"]})
    rows = [
        [
            local_name(key, t["_lang"]),
            f"`{c['detector']}`",
            _n(c["attack_success"]["n"], t),
            _empty(c, t),
            _iv(c["attack_success"], t),
            *(
                _iv(c["by_language"][lang], t) if lang in c["by_language"] else "–"
                for lang in languages
            ),
        ]
        for key, c in red["categories"].items()
    ]
    rows.append(
        [f"**{t['total']}**", "", _n(red["all"]["n"], t), _empty(red, t), _iv(red["all"], t)]
        + [""] * len(languages)
    )
    method = t["redteam_method"].format(
        probes=_counted(red["probes"], "probe", t),
        suite=red["suite"],
        tokens=_counted(red["max_tokens"], "token", t),
        format=local_name(red["prompt_format"], t["_lang"]),
        garak=GARAK_REPORT,
        languages=", ".join(languages),
        lenient=lenient_caveat(red["categories"], t["_lang"]),
    )
    empty = red.get("empty", 0)
    said = (
        [
            plural(empty, t["empty_answer_one"], t["empty_answers"]).format(  # type: ignore[arg-type]
                empty=_n(empty, t), answers=_counted(red["answers"], "answer", t)
            ),
            "",
        ]
        if empty
        else []
    )
    header = [t["category"], t["detector"], "n", t["empty"], t["asr"], *languages]
    return [
        f"## {t['redteam']}",
        "",
        method,
        "",
        *_policy(red, t),
        *_refused_by_policy(red, t),
        *said,
        *_table(header, rows),
    ]


def _policy(red: dict[str, Any], t: dict[str, str]) -> list[str]:
    """Which policy an endpoint's server ran (its rates are the model's and that policy's);
    nothing for a model audited in-process, where no policy stands in between."""
    policy = red.get("policy")
    if policy is None:
        return []
    if not policy["known"]:
        return [t["redteam_policy_unknown"], ""]
    if policy["id"] is None:
        return [t["redteam_policy_none"], ""]
    said = t["redteam_policy"].format(
        policy=policy["id"],
        version=policy["version"],
        sha256=policy["sha256"],
        rules=policy["rules_sha256"],
    )
    return [said, ""]


def _refused_by_policy(red: dict[str, Any], t: dict[str, str]) -> list[str]:
    """How many probes the server's policy refused, by rule: said for every endpoint that
    publishes a policy (also 0), and wherever a refusal was logged."""
    refused = red.get("policy_refused") or {"count": 0, "rules": {}}
    if not refused["count"] and not (red.get("policy") or {}).get("id"):
        return []
    rules = ", ".join(f"`{rule}` ({_n(n, t)})" for rule, n in refused["rules"].items())
    return [
        t["redteam_policy_refused"].format(count=_n(refused["count"], t), rules=rules or "–"),
        "",
    ]


def _empty(counts: dict[str, Any], t: dict[str, str]) -> str:
    """How many of the answers were empty (a report from before they were counted: –)."""
    return _n(counts["empty"], t) if "empty" in counts else "–"


def _findings(found: dict[str, Any], t: dict[str, str]) -> list[str]:
    status = found["by_status"]
    lines = [
        f"## {t['findings']}",
        "",
        t["findings_counts"].format(
            findings=_counted(found["findings"], "finding", t),
            duplicates=_counted(found["duplicates"], "duplicate", t),
            **{key: _n(count, t) for key, count in status.items()},
        ),
    ]
    if others := found.get("other_models"):
        models = ", ".join(f"`{name}` ({_n(n, t)})" for name, n in others.items())
        lines += [
            "",
            t["findings_other_models"].format(
                findings=_counted(sum(others.values()), "finding", t), models=models
            ),
        ]
    if found["confirmed"]:
        rows = [
            [
                t.get(f"finding_{f['category']}", f["category"]),  # one from before categories
                _quote(f["prompt"]),
                t["anonymous"] if f["reporter"] == ANONYMOUS else f["reporter"],
                f["reported_at"][:10],
            ]
            for f in found["confirmed"]
        ]
        lines += [
            "",
            f"### {t['confirmed']}",
            "",
            *_table([t["category"], t["prompt"], t["reporter"], t["date"]], rows),
        ]
    return lines


def _counts(counts: dict[str, int], t: dict[str, str]) -> str:
    return ", ".join(f"{k}: {_n(v, t)}" for k, v in sorted(counts.items())) or "–"


def _quote(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
