"""The record's sentences on the stores of personal data beside the database (`Stores`): what
each holds (item c), who reads it (item d) and how long it stays and how it is deleted
(item f), in German or English, each filled from what the stores hold now."""

from __future__ import annotations

from gemeingut.i18n import plural, text
from gemeingut.serve.gateway.records_stores import DocumentStore, FindingsStore, Stores

TEXT = {
    "de": {
        "docs": "Dokumentensammlungen im Ordner `{folder}` (`--collections`): {collections} mit "
        "{documents}, davon {uploaded} von Personen hochgeladen. Je Dokument speichert der "
        "Server eine Kopie der Datei, ihren Text in Abschnitten und, wo die Sammlung welche "
        "hat, Vektoren; was ein Dokument über Personen sagt, prüft er nicht: Dokumente können "
        "personenbezogene Daten enthalten.",
        "collections_one": "1 Sammlung",
        "collections": "{count} Sammlungen",
        "documents_one": "1 Dokument",
        "documents": "{count} Dokumenten",
        "docs_gone": "Dokumentensammlungen: der Ordner `{folder}`, mit dem der Server zuletzt "
        "startete (`--collections`), besteht nicht.",
        "docs_unreadable": "**Nicht lesbar** (ihre `collection.json`), darum oben nicht "
        "mitgezählt: {names}.",
        "uploads_on": "Hochladen eingeschaltet (`--upload-max-mb {mb}`): Mitglieder der Gruppen "
        "einer Sammlung fügen ihr Dateien bis {mb} MiB hinzu und ersetzen oder entfernen "
        "hochgeladene. Wer eine Datei hochlud, steht nur im Protokoll (Pseudonym und die Route "
        "mit der Sammlung, nie der Name der Datei).",
        "uploads_off": "Hochladen ausgeschaltet (ohne `--upload-max-mb`): Dokumente kommen nur "
        "über `gemeingut rag ingest` in die Sammlungen.",
        "uploads_off_kept": "Hochladen ausgeschaltet (ohne `--upload-max-mb`): neue Dokumente "
        "kommen nur über `gemeingut rag ingest`; früher hochgeladene Dokumente sind noch "
        "gespeichert: {uploaded}.",
        "findings": "Meldungen zum Modell in `{path}`{origin}: {findings}, davon {confirmed} "
        "bestätigt und {named} mit dem Pseudonym der meldenden Person. Je Meldung: Kategorie, "
        "die gemeldete Anfrage und Antwort, die Notiz der meldenden Person, Modell, Pseudonym, "
        "Zeitpunkt und die Entscheidung der Prüfgruppe. {types} in Anfrage, Antwort und den "
        "Notizen werden vor dem Speichern durch Platzhalter ersetzt; andere Namen erkennt kein "
        "Detektor.",
        "findings_one": "1 Meldung",
        "findings_many": "{count} Meldungen",
        "from_start": " (`--findings`)",
        "earlier": " (von einem früheren Start)",
        "findings_none_yet": "Meldungen zum Modell (`--findings`): noch keine; die Datei "
        "`{path}` entsteht mit der ersten.",
        "findings_gone": "Meldungen in `{path}` (von einem früheren Start): die Datei besteht "
        "nicht mehr.",
        "findings_unreadable": "**Nicht lesbar**: die Meldungsdatei `{path}` ({problem}).",
        "reported_content": " – außer Anfrage und Antwort, die eine Person als Meldung "
        "einreicht (siehe Meldungen).",
        "docs_readers": "Dokumente einer Sammlung sehen und durchsuchen die Mitglieder ihrer "
        "Gruppen (`/v1/collections`, die Seite; jede Suche steht im Protokoll, nie ihre Frage), "
        "außerdem, wer auf dem Server den Ordner lesen kann:",
        "groups_one": "die Gruppe {groups}",
        "groups": "die Gruppen {groups}",
        "no_groups": "keine Gruppe: für niemanden sichtbar",
        "findings_readers": "Meldungen in `{path}` lesen und entscheiden die Mitglieder der "
        "Gruppe `{group}` (`/v1/findings`); bestätigte veröffentlicht die Prüfung des Modells "
        "(`gemeingut audit run --findings`) samt Pseudonym der meldenden Person; außerdem liest "
        "sie, wer auf dem Server die Datei lesen kann.",
        "findings_readers_earlier": "Meldungen in `{path}` (von einem früheren Start) liest, "
        "wer auf dem Server die Datei lesen kann; bestätigte veröffentlicht die Prüfung des "
        "Modells, die sie liest (`gemeingut audit run --findings`), samt Pseudonym der "
        "meldenden Person.",
        "docs_retention": "Dokumente der Sammlungen haben keine Löschfrist: sie bleiben, bis "
        "`gemeingut rag remove NAME SCHLÜSSEL --root {folder}` sie entfernt (Kopie, Abschnitte "
        "und Vektoren){members}; wird der Ordner einer Sammlung gelöscht, gehen alle ihre "
        "Dokumente. `gemeingut admin users remove` löscht keine Dokumente (ein Dokument nennt "
        "nicht, wer es hochlud).",
        "members_remove": ", hochgeladene auch ein Mitglied der Gruppen (die Seite, `DELETE "
        "/v1/collections/NAME/documents?document=…`)",
        "findings_retention": "Meldungen haben keine Löschfrist. `gemeingut admin users remove` "
        "entfernt die noch nicht bestätigten Meldungen der Person und nimmt bestätigten ihr "
        "Pseudonym (sie nennen dann `anonymous`), in jeder Meldungsdatei, die die Datenbank "
        "kennt (ein Server trägt sie mit der ersten Meldung ein, die eine Person nennt).",
        "findings_unknown": "**Die Datenbank kennt `{path}` nicht**: `gemeingut admin users "
        "remove` löscht darin keine der {named} Meldungen, die eine Person nennen.",
    },
    "en": {
        "docs": "Document collections in the folder `{folder}` (`--collections`): {collections} "
        "with {documents}, {uploaded} of them uploaded by people. For each document the server "
        "keeps a copy of the file, its text in chunks and, where the collection has them, "
        "vectors; it does not check what a document says about people: documents may hold "
        "personal data.",
        "collections_one": "1 collection",
        "collections": "{count} collections",
        "documents_one": "1 document",
        "documents": "{count} documents",
        "docs_gone": "Document collections: the folder `{folder}` the server last started with "
        "(`--collections`) does not exist.",
        "docs_unreadable": "**Cannot be read** (their `collection.json`), so not counted above: "
        "{names}.",
        "uploads_on": "Uploads on (`--upload-max-mb {mb}`): members of a collection's groups "
        "add files of up to {mb} MiB to it and replace or remove uploaded ones. Who uploaded a "
        "file is only in the audit log (pseudonym and the route with the collection, never the "
        "file's name).",
        "uploads_off": "Uploads off (no `--upload-max-mb`): documents come into the collections "
        "only through `gemeingut rag ingest`.",
        "uploads_off_kept": "Uploads off (no `--upload-max-mb`): new documents come only "
        "through `gemeingut rag ingest`; documents uploaded earlier are still stored: "
        "{uploaded}.",
        "findings": "Reports on the model in `{path}`{origin}: {findings}, {confirmed} of them "
        "confirmed and {named} with the pseudonym of the person who reported. Per report: "
        "category, the reported request and answer, the reporter's note, model, pseudonym, "
        "time and the triage group's decision. {types} in the request, the answer and the notes "
        "are replaced by placeholders before it is stored; other names are recognised by no "
        "detector.",
        "findings_one": "1 report",
        "findings_many": "{count} reports",
        "from_start": " (`--findings`)",
        "earlier": " (from an earlier start)",
        "findings_none_yet": "Reports on the model (`--findings`): none yet; the file `{path}` "
        "is made with the first.",
        "findings_gone": "Reports in `{path}` (from an earlier start): the file no longer exists.",
        "findings_unreadable": "**Cannot be read**: the findings file `{path}` ({problem}).",
        "reported_content": " – except the request and answer a person submits as a report "
        "(see reports).",
        "docs_readers": "A collection's documents are seen and searched by the members of its "
        "groups (`/v1/collections`, the page; each search is in the audit log, never its "
        "question), and by whoever can read the folder on the server:",
        "groups_one": "the group {groups}",
        "groups": "the groups {groups}",
        "no_groups": "no group: visible to nobody",
        "findings_readers": "Reports in `{path}` are read and decided by the members of the "
        "group `{group}` (`/v1/findings`); confirmed ones are published by the model's audit "
        "(`gemeingut audit run --findings`) with the reporter's pseudonym; whoever can read "
        "the file on the server reads them too.",
        "findings_readers_earlier": "Reports in `{path}` (from an earlier start) are read by "
        "whoever can read the file on the server; confirmed ones are published by the model's "
        "audit that reads it (`gemeingut audit run --findings`), with the reporter's pseudonym.",
        "docs_retention": "The collections' documents have no time limit: they stay until "
        "`gemeingut rag remove NAME KEY --root {folder}` removes them (copy, chunks and "
        "vectors){members}; deleting a collection's folder deletes all its documents. "
        "`gemeingut admin users remove` deletes no document (a document does not name who "
        "uploaded it).",
        "members_remove": ", uploaded ones also a member of the groups (the page, `DELETE "
        "/v1/collections/NAME/documents?document=…`)",
        "findings_retention": "Reports have no time limit. `gemeingut admin users remove` "
        "removes the person's reports not yet confirmed and takes their pseudonym off "
        "confirmed ones (they then name `anonymous`), in every findings file the database "
        "knows (a server enters it with the first report that names a person).",
        "findings_unknown": "**The database does not know `{path}`**: `gemeingut admin users "
        "remove` deletes none of the {named} reports in it that name a person.",
    },
}


def held_lines(stores: Stores, language: str) -> list[str]:
    """Item c: what each store holds."""
    t = TEXT.get(language, TEXT["de"])
    lines = []
    if (documents := stores.documents) is not None:
        lines += _documents_held(documents, t)
    for findings in stores.findings:
        lines.append(_findings_held(findings, t, language))
    return [f"- {line}" for line in lines]


def reported_content(stores: Stores, language: str) -> str:
    """What to add to "content is not stored" where reports hold requests and answers."""
    t = TEXT.get(language, TEXT["de"])
    return t["reported_content"] if any(f.exists for f in stores.findings) else ""


def reader_lines(stores: Stores, language: str) -> list[str]:
    """Item d: who reads each store."""
    t = TEXT.get(language, TEXT["de"])
    lines = []
    if (documents := stores.documents) is not None and documents.collections:
        lines.append(f"- {t['docs_readers']}")
        for held in documents.collections:
            listed = ", ".join(f"`{g}`" for g in held.groups)
            one = len(held.groups) == 1
            seen = t["groups_one" if one else "groups"].format(groups=listed)
            seen = seen if held.groups else t["no_groups"]
            lines.append(f"  - `{held.name}`: {seen}")
    for findings in stores.findings:
        if not findings.exists:
            continue
        if findings.from_start and stores.triage_group:
            said = t["findings_readers"].format(path=findings.path, group=stores.triage_group)
        else:
            said = t["findings_readers_earlier"].format(path=findings.path)
        lines.append(f"- {said}")
    return lines


def retention_lines(stores: Stores, language: str) -> list[str]:
    """Item f: how long each store keeps what it holds, and how it is deleted."""
    t = TEXT.get(language, TEXT["de"])
    lines = []
    if (documents := stores.documents) is not None and documents.exists:
        members = t["members_remove"] if documents.upload_max_mb else ""
        lines.append(t["docs_retention"].format(folder=documents.folder, members=members))
    if any(f.exists for f in stores.findings):
        lines.append(t["findings_retention"])
    for findings in stores.findings:
        if findings.named and not findings.remembered:
            lines.append(t["findings_unknown"].format(path=findings.path, named=findings.named))
    return [f"- {line}" for line in lines]


def _documents_held(documents: DocumentStore, t: dict[str, str]) -> list[str]:
    if not documents.exists:
        return [t["docs_gone"].format(folder=documents.folder)]
    lines = [
        t["docs"].format(
            folder=documents.folder,
            collections=_count(len(documents.collections), t["collections_one"], t["collections"]),
            documents=_count(documents.documents, t["documents_one"], t["documents"]),
            uploaded=documents.uploaded,
        )
    ]
    if documents.unreadable:
        names = ", ".join(f"`{name}`" for name in documents.unreadable)
        lines.append(t["docs_unreadable"].format(names=names))
    if documents.upload_max_mb:
        lines.append(t["uploads_on"].format(mb=documents.upload_max_mb))
    elif documents.uploaded:
        lines.append(t["uploads_off_kept"].format(uploaded=documents.uploaded))
    else:
        lines.append(t["uploads_off"])
    return lines


def _findings_held(findings: FindingsStore, t: dict[str, str], language: str) -> str:
    if findings.problem is not None:
        return t["findings_unreadable"].format(path=findings.path, problem=findings.problem)
    if not findings.exists:
        key = "findings_none_yet" if findings.from_start else "findings_gone"
        return t[key].format(path=findings.path)
    return t["findings"].format(
        path=findings.path,
        origin=t["from_start"] if findings.from_start else t["earlier"],
        findings=_count(findings.findings, t["findings_one"], t["findings_many"]),
        confirmed=findings.confirmed,
        named=findings.named,
        types=_redacted_kinds(language),
    )


def _redacted_kinds(language: str) -> str:
    """The kinds of personal data replaced in a report, as the page names them."""
    from gemeingut.apps.web.texts import TEXTS
    from gemeingut.data.pii import PII_TYPES

    names = [text(TEXTS[f"pii_{kind}"], language) for kind in PII_TYPES]
    return names[0][:1].upper() + ", ".join(names)[1:]


def _count(count: int, one: str, other: str) -> str:
    return plural(count, one, other.format(count=count))  # type: ignore[arg-type]
