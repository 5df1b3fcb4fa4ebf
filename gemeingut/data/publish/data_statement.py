"""DATA_STATEMENT.md in the long form of Bender & Friedman's Data Statements, schema version 2.

Every number is read from the dataset (stats.json, the shards); every sentence about people,
purpose and risk comes from the recipe's `[data.publication]` section, but what curation
found of personal data, which its counts say (`personal`). Where the recipe is
silent the section says so (`NOT_PROVIDED`) and the YAML header lists the gap in
`missing_fields`; nothing is filled in on the recipe's behalf. The statement's own words are
in the publication's `document_language` (German by default); the recipe's prose is quoted as
written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gemeingut.data.documents import DOCUMENT_COLUMNS
from gemeingut.data.publish.facts import DatasetFacts
from gemeingut.data.publish.licenses import (
    licence_atoms,
    licence_links,
    licence_name,
    licence_url,
)
from gemeingut.data.publish.metadata import NOT_PROVIDED, PublicationInfo, missing_fields
from gemeingut.data.publish.overlap import bucket_words
from gemeingut.data.publish.personal import personal_data
from gemeingut.data.publish.reasons import reason_meaning
from gemeingut.i18n import Message, _, decimal, localized, plural, text

TEMPLATE_URL = "https://techpolicylab.uw.edu/data-statements/"

GLOSSARY = {
    _("SPDX expression"): _(
        "a licence identifier from spdx.org/licenses, or several joined with AND (all apply) or "
        "OR (a choice)."
    ),
    _("Corpus licence"): _(
        "the AND of every distinct licence under which a kept document is published; each "
        "document's own licence is in its `license` column."
    ),
    _("Share-alike"): _(
        "a licence condition (e.g. CC-BY-SA) under which adaptations must be shared under the "
        "same licence."
    ),
    _("Exclusion"): _(
        "a document read but not kept; `exclusions.parquet` records its id, source, reason and "
        "licence, never its text."
    ),
    _("Split"): _(
        "train, validation or test; assigned by a hash of the document id, so a document keeps "
        "its split when the corpus grows."
    ),
}


class Words:
    """The statement's words in one language: `say` for a message, `n` for a number."""

    def __init__(self, language: str) -> None:
        self.language = language

    def say(self, message: Message | str) -> str:
        return text(message, self.language)

    def n(self, value: int) -> str:
        return decimal(value, 0, self.language)

    def percent(self, part: int, whole: int) -> str:
        return f"{decimal(100 * part / whole if whole else 0, 1, self.language)} %"


def render_data_statement(facts: DatasetFacts, info: PublicationInfo) -> str:
    w = Words(info.document_language)
    say = w.say
    missing = missing_fields(info, facts.sources)

    def prose(field: str) -> str:
        return info.prose(field) or say(NOT_PROVIDED)

    parts = [
        _front_matter(facts, missing),
        "# " + say(_("Data Statement for {title}", title=info.title_in(w.language))) + "\n",
        _header(w, facts, info),
        _summary(w, facts, info),
        _section(
            say(_("3. Curation Rationale")),
            prose("curation_rationale"),
            _organisation(w),
        ),
        _sources(w, facts, info),
        _languages(w, facts, info),
        _section(say(_("6. Speaker Demographic")), prose("speaker_demographic")),
        _section(
            say(_("7. Annotator Demographic")),
            say(
                _(
                    "gemeingut adds no annotations: `id`, `source`, `license`, `url` and "
                    "`attribution` are copied from the sources and `text` is the cleaned source "
                    "text."
                )
            ),
            prose("annotator_demographic"),
        ),
        _situation(w, facts, info),
        _preprocessing(w, facts, info),
        _section(say(_("10. Capture Quality")), prose("capture_quality")),
        _section(
            say(_("11. Limitations")),
            prose("limitations"),
            _bold(say(_("Known biases."))) + prose("data_biases"),
            _bold(say(_("Personal and sensitive information.")))
            + " ".join(say(sentence) for sentence in personal_data(facts.stats, facts.params)),
            _bold(say(_("What the curators say of it."))) + prose("personal_sensitive_information"),
        ),
        _metadata(w, facts, info),
        _section(
            say(_("13. Disclosures and Ethical Review")),
            _bold(say(_("Funding and conflicts of interest."))) + prose("funding"),
            _bold(say(_("Ethical review and consent."))) + prose("ethical_review"),
        ),
        _section(
            say(_("14. Other")),
            _bold(say(_("Intended uses."))) + prose("intended_uses"),
            _bold(say(_("Social impact."))) + prose("social_impact"),
            _bold(say(_("Other."))) + prose("other"),
        ),
        _glossary(w, info),
        _section(say(_("About this document")), _about(w)),
    ]
    return "\n".join(parts)


def _bold(lead: str) -> str:
    """A paragraph's bold lead-in, followed by its text."""
    return f"**{lead}** "


def _strong(words: str) -> str:
    return f"**{words}**"


def _organisation(w: Words) -> str:
    columns = ", ".join(f"`{c}`" for c in DOCUMENT_COLUMNS)
    return _bold(w.say(_("Data instance and organisation."))) + w.say(
        _(
            "One row per document with the columns {columns}, in Parquet shards per split "
            "(`shards/<split>-NNNNN.parquet`). Splits are assigned by a hash of the document id.",
            columns=columns,
        )
    )


def _about(w: Words) -> str:
    return "\n\n".join(
        [
            w.say(
                _(
                    "A data statement is a characterization of a dataset that provides context "
                    "to allow developers and users to better understand how experimental results "
                    "might generalize, how software might be appropriately deployed, and what "
                    "biases might be reflected in systems built on the software."
                )
            ),
            w.say(
                _(
                    "This data statement was written based on the template for the Data "
                    "Statements Version 2 schema. The template was prepared by Angelina "
                    "McMillan-Major, Emily M. Bender, and Batya Friedman and can be found at "
                    "{url} and was updated from the community Version 1 Markdown template by "
                    "Leon Dercyznski.",
                    url=TEMPLATE_URL,
                )
            ),
            w.say(
                _(
                    "Adaptation: gemeingut generates this statement. Numbers are read from the "
                    "dataset's `stats.json` and shards; prose comes from the "
                    "`[data.publication]` section (of the recipe, or of the file `gemeingut "
                    "data publish --info` read), and sections it does not fill say {marker}",
                    marker=NOT_PROVIDED,
                )
            ),
        ]
    )


def _front_matter(facts: DatasetFacts, missing: list[str]) -> str:
    """YAML (JSON values are valid YAML) so tools can find the gaps without parsing prose."""
    lines = [
        "---",
        f"dataset_id: {json.dumps(facts.id)}",
        f"corpus_licence: {json.dumps(facts.licence)}",
        'schema: "Data Statements v2 (long form)"',
        f"missing_fields: {json.dumps(missing)}",
        "---",
        "",
    ]
    return "\n".join(lines)


def _section(title: str, *paragraphs: str) -> str:
    body = "\n\n".join(p.strip() for p in paragraphs if p and p.strip())
    return f"## {title}\n\n{body}\n"


def _or_missing(w: Words, values: Iterable[str]) -> str:
    values = [v for v in values if v]
    return "; ".join(values) if values else w.say(NOT_PROVIDED)


def _named(values: Iterable[str]) -> int:
    """How many of `values` name someone: the label says curator or curators by them."""
    return sum(1 for value in values if value)


def _header(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    say, missing = w.say, w.say(NOT_PROVIDED)
    titles = _titles(info, w.language)
    if facts.id:
        record = say(_("artifact `{id}`, created {created}", id=facts.id, created=facts.created))
    else:
        record = say(_("no artifact.json"))
    publisher = info.publisher_name + (f" (<{info.publisher_uri}>)" if info.publisher_uri else "")
    items = [
        (_("Dataset title"), titles),
        (
            plural(_named(info.curators), _("Dataset curator"), _("Dataset curators")),
            _or_missing(w, info.curators),
        ),
        (_("Dataset version"), f"{info.version or missing}; {record}"),
        (_("Dataset citation and DOI"), info.citation or missing),
        (
            plural(
                _named(info.statement_authors),
                _("Data statement author"),
                _("Data statement authors"),
            ),
            _or_missing(w, info.statement_authors),
        ),
        (_("Data statement version"), say(_("generated by {code}", code=facts.code))),
        (_("Publisher"), publisher),
        (_("Contact"), info.contact_email or missing),
        (_("Download"), f"<{info.download_url}>"),
    ]
    return _section(
        say(_("1. Header")), "\n".join(f"- **{say(label)}:** {value}" for label, value in items)
    )


def _titles(info: PublicationInfo, language: str) -> str:
    """The title in the statement's language first, the other one after it with its language
    code; the one there is where only one is given."""
    if not info.title_en:
        return info.title_de
    if language == "de":
        return f"{info.title_de} / {info.title_en} (en)"
    return f"{info.title_en} / {info.title_de} (de)"


def _summary(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    stats = facts.stats
    totals = _totals(stats)
    if w.language == "de" or not info.prose("description_en"):
        description = info.description_de.strip()
        if w.language == "en":
            description = f"(German) {description}"
    else:
        description = info.description_en.strip()
    languages = ", ".join(f"`{tag}`" for tag in info.languages) or w.say(_("languages not stated"))
    numbers = _(
        "The dataset holds {kept} documents ({characters} characters, {bytes} bytes of UTF-8 "
        "text) in {languages}. Of {read} documents read, {kept} were kept and {excluded} "
        "excluded ({share}). Corpus licence: `{licence}`.",
        kept=w.n(stats["kept"]),
        characters=w.n(totals["characters"]),
        bytes=w.n(totals["bytes"]),
        languages=languages,
        read=w.n(stats["documents_in"]),
        excluded=w.n(stats["excluded"]),
        share=w.percent(stats["excluded"], stats["documents_in"]),
        licence=facts.licence,
    )
    return _section(w.say(_("2. Executive Summary")), description, w.say(numbers))


def _sources(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    stats, say = facts.stats, w.say
    kept, excluded = stats.get("kept_by_source", {}), stats.get("excluded_by_source", {})
    rows = [
        (
            _code(name),
            w.n(kept.get(name, 0)),
            w.n(excluded.get(name, 0)),
            _cell(info.source_documentation.get(name, "").strip() or say(NOT_PROVIDED)),
        )
        for name in facts.sources
    ]
    header = (_("source"), _("documents kept"), _("excluded"), _("documentation"))
    return _section(
        say(_("4. Documentation for Source Datasets")),
        _table(w, header, rows),
        _bold(say(_("How the sources were obtained.")))
        + (info.prose("collection_process") or say(NOT_PROVIDED)),
        _bold(say(_("Licences of the kept documents")))
        + say(_("(per document in the `license` column):")),
        licence_table(w, stats.get("kept_by_license", {}), stats["kept"]),
    )


def licence_table(w: Words, counts: Mapping[str, int], total: int) -> str:
    """The documents per licence; `verify` renders it again from the shards' counts."""
    rows = []
    for expression, count in counts.items():
        ids = licence_links(expression)
        links = ", ".join(f"[{a}]({licence_url(a)})" if licence_url(a) else a for a in ids)
        name = licence_name(expression, w.language)
        rows.append((_code(expression), name, links, w.n(count), w.percent(count, total)))
    header = (_("licence"), _("name"), _("licence text"), _("documents"), _("share"))
    return _table(w, header, rows)


def _languages(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    say = w.say
    tags = ", ".join(f"`{tag}`" for tag in info.languages) or say(NOT_PROVIDED)
    identified = facts.stats.get("kept_by_language", {})
    rows = [
        (_code(lang), w.n(n), w.percent(n, facts.stats["kept"])) for lang, n in identified.items()
    ]
    return _section(
        say(_("5. Language Varieties")),
        _bold(say(_("BCP-47 tags:"))) + tags,
        info.prose("language_varieties") or say(NOT_PROVIDED),
        _strong(say(_("Languages identified in the kept documents by gemeingut:"))) if rows else "",
        _table(w, (_("language"), _("documents"), _("share")), rows) if rows else "",
    )


def _situation(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    say = w.say
    splits = facts.stats.get("splits", {})
    rows = [
        (
            split,
            w.n(splits[split]["documents"]),
            w.n(splits[split]["characters"]),
            w.n(splits[split]["bytes"]),
            w.n(_mean(splits[split]["characters"], splits[split]["documents"])),
        )
        for split in splits
    ]
    totals = _totals(facts.stats)
    rows.append(
        (
            _strong(say(_("all"))),
            w.n(facts.stats["kept"]),
            w.n(totals["characters"]),
            w.n(totals["bytes"]),
            w.n(_mean(totals["characters"], facts.stats["kept"])),
        )
    )
    header = (
        _("split"),
        _("documents"),
        _("characters"),
        _("bytes"),
        _("mean characters per document"),
    )
    return _section(
        say(_("8. Speech Situation and Text Characteristics")),
        _bold(say(_("Speech situation."))) + (info.prose("speech_situation") or say(NOT_PROVIDED)),
        _bold(say(_("Text characteristics.")))
        + (info.prose("text_characteristics") or say(NOT_PROVIDED)),
        _strong(say(_("Size per split:"))),
        _table(w, header, rows),
    )


def _preprocessing(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    stats, say = facts.stats, w.say
    params = {k: v for k, v in facts.params.items() if k != "sources"}
    param_rows = [(f"`{k}`", _code(json.dumps(v, ensure_ascii=False))) for k, v in params.items()]
    reason_rows = [
        (
            _code(reason),
            say(reason_meaning(reason) or ""),
            w.n(n),
            w.percent(n, stats["documents_in"]),
        )
        for reason, n in stats.get("excluded_by_reason", {}).items()
    ]
    by_licence = [(_code(lic), w.n(n)) for lic, n in stats.get("excluded_by_license", {}).items()]
    by_source = [(_code(src), w.n(n)) for src, n in stats.get("excluded_by_source", {}).items()]
    accounting = _(
        "The raw source files are not included; the shards hold the processed text. {read} "
        "documents in = {kept} kept + {excluded} excluded.",
        read=w.n(stats["documents_in"]),
        kept=w.n(stats["kept"]),
        excluded=w.n(stats["excluded"]),
    )
    reason_header = (_("reason"), _("meaning"), _("documents"), _("share of input"))
    return _section(
        say(_("9. Preprocessing and Data Formatting")),
        say(
            _(
                "The dataset was made by the curate stage of {code} with these parameters:",
                code=facts.code,
            )
        ),
        _table(w, (_("parameter"), _("value")), param_rows) if param_rows else say(NOT_PROVIDED),
        say(accounting) + " " + _strong(say(_("Excluded by reason:"))),
        _table(w, reason_header, reason_rows),
        _strong(say(_("Excluded by licence:"))),
        _table(w, (_("licence"), _("documents")), by_licence),
        _strong(say(_("Excluded by source:"))),
        _table(w, (_("source"), _("documents")), by_source),
        _block_stats(w, stats.get("blocks", {})),
        _bold(say(_("Further notes from the curators.")))
        + (info.prose("preprocessing_notes") or say(NOT_PROVIDED)),
    )


def _block_stats(w: Words, blocks: Mapping[str, Any]) -> str:
    if not blocks:
        return ""
    parts = [_strong(w.say(_("Statistics reported by the processing blocks:")))]
    for name, block in blocks.items():
        values = block if isinstance(block, Mapping) else {"value": block}
        rows = [(_statistic(w, key), _cell(_value(w, value))) for key, value in _flatten(values)]
        parts.append(f"*{name}*\n\n" + _table(w, (_("statistic"), _("value")), rows))
    return "\n\n".join(parts)


def _statistic(w: Words, key: str) -> str:
    """A statistic's key, after the words for it where its key alone does not say it."""
    words = bucket_words(key)
    return f"`{key}`" if words is None else f"{_cell(w.say(words))} (`{key}`)"


def _flatten(values: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, Mapping) and value and not prefix:
            items += _flatten(value, f"{key}.")
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _value(w: Words, value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return w.n(value)
    if isinstance(value, float):
        return localized(f"{value:g}", w.language)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _metadata(w: Words, facts: DatasetFacts, info: PublicationInfo) -> str:
    say = w.say
    atoms = licence_atoms(facts.licence)
    links = ", ".join(f"[{a}]({licence_url(a)})" if licence_url(a) else f"`{a}`" for a in atoms)
    stats = facts.stats
    items = [
        (
            _("License"),
            _(
                "`{licence}` ({links}). Each document's licence is in its `license` column; the "
                "attributions the licences require are listed in `NOTICE`.",
                licence=facts.licence,
                links=links,
            ),
        ),
        (_("Annotation guidelines and process"), _("none; gemeingut adds no annotations.")),
        (
            _("Dataset quality"),
            _(
                "{read} in = {kept} kept + {excluded} excluded; every exclusion is recorded with "
                "its reason in `exclusions.parquet`.",
                read=w.n(stats["documents_in"]),
                kept=w.n(stats["kept"]),
                excluded=w.n(stats["excluded"]),
            ),
        ),
        (_("Errata"), info.prose("errata") or NOT_PROVIDED),
        (_("Maintenance plan"), info.prose("maintenance_plan") or NOT_PROVIDED),
        (
            _("Machine-readable metadata"),
            _(
                "`croissant.json` (Croissant 1.0 with RAI fields), `dcat.ttl` (DCAT-AP.de 3.0), "
                "`stats.json`, `manifest.json` (sha256 of every file)."
            ),
        ),
    ]
    lines = [f"- **{say(label)}:** {say(value)}" for label, value in items]
    return _section(say(_("12. Metadata")), "\n".join(lines))


def _glossary(w: Words, info: PublicationInfo) -> str:
    terms = {w.say(t): w.say(d) for t, d in GLOSSARY.items()}
    terms |= {k: v for k, v in info.glossary.items() if v.strip()}
    return _section(
        w.say(_("15. Glossary")), "\n".join(f"- **{t}:** {d}" for t, d in terms.items())
    )


def _table(w: Words, header: tuple[Message, ...], rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return w.say(_("_None._"))
    lines = ["| " + " | ".join(w.say(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _code(value: str) -> str:
    return "`" + _cell(value).replace("`", "'") + "`"


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def _totals(stats: Mapping[str, Any]) -> dict[str, int]:
    splits = stats.get("splits", {}).values()
    return {key: sum(s[key] for s in splits) for key in ("characters", "bytes")}


def _mean(total: int, count: int) -> int:
    return round(total / count) if count else 0
