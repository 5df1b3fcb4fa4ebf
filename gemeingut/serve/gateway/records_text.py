"""The record of processing activities as a document, in German or English, along the items
of Art. 30 (1) GDPR; each sentence is filled from the `Record`, stated facts are quoted as
given, and what nobody stated is marked where it is missing."""

from __future__ import annotations

from gemeingut.i18n import plural, text
from gemeingut.serve.gateway.content_privacy import kinds_named
from gemeingut.serve.gateway.leases import STOPPED_AFTER
from gemeingut.serve.gateway.records import IN_PROCESS, Record
from gemeingut.serve.gateway.records_servers import RESTARTED, SILENT, STAMP, Outage, Server
from gemeingut.serve.gateway.records_stores_text import (
    held_lines,
    reader_lines,
    reported_content,
    retention_lines,
)

TEXT = {
    "de": {
        "title": "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)",
        "activity": "Verarbeitung: Betrieb des Sprachmodells `{model}` mit `gemeingut serve` "
        "(Schlüssel, Kontingente, Protokoll). Stand der Einstellungen: letzter Start am {started}.",
        "activity_many": "Verarbeitung: Betrieb der Sprachmodelle `{model}` mit `gemeingut "
        "serve` (Schlüssel, Kontingente, Protokoll). Stand der Einstellungen: letzter Start am "
        "{started}.",
        "no_deployment": "Der Server hat mit dieser Datenbank noch nie gestartet: Modell, "
        "Maschine und Richtlinie sind unbekannt (die Löschfrist steht unter f).",
        "servers": "Server dieser Datenbank (jeder Start verzeichnet seine Einstellungen; "
        "dieses Verzeichnis beschreibt alle, die zählen):",
        "running": "läuft",
        "silent": "kein Lebenszeichen und nicht ordnungsgemäß beendet (abgestürzt, beendet "
        "mit SIGKILL, oder die Datenbank ist von dort nicht erreichbar); zählt mit bis {until}",
        "silent_beat": "nicht ordnungsgemäß beendet (abgestürzt, beendet mit SIGKILL, oder die "
        "Datenbank ist von dort nicht erreichbar): letztes Lebenszeichen am {beat}, gilt als "
        "laufend bis {ended} ({grace} s danach gilt ein Server ohne Lebenszeichen als beendet); "
        "zählt mit bis {until}",
        "restarted": "nicht ordnungsgemäß beendet, letztes Lebenszeichen am {beat}; danach mit "
        "denselben Einstellungen neu gestartet; zählt nicht mehr mit",
        "restart": "Neustart desselben Servers (gleicher Host, gleiches `--port`, gleiche "
        "Einstellungen): der am {started} gestartete lief bis zu seinem letzten "
        "Lebenszeichen am {beat} und wurde nicht ordnungsgemäß beendet",
        "outage": "Ausfall ab {since}: {ended}; {refused} an {models} in dieser Zeit mit 503 "
        "beantwortet, die das Protokoll festhält (volle Warteschlange, Datenbank nicht "
        "erreichbar); Ablehnungen an der Verbindungsgrenze (`too_many_connections`) und "
        "Anfragen an den ausgefallenen Server selbst werden nicht protokolliert",
        "outage_ended": "endete am {ended} (die erste danach erfolgreich beantwortete Anfrage "
        "an {models})",
        "outage_open": "seitdem wurde keine Anfrage an {models} erfolgreich beantwortet",
        "outage_restarted": "bis zum Neustart am {started}",
        "requests_one": "1 Anfrage",
        "requests": "{count} Anfragen",
        "stopped": "am {stopped} ordnungsgemäß beendet, seitdem startete kein Server; zählt "
        "mit bis {until}",
        "replaced": "am {stopped} ordnungsgemäß beendet, seitdem startete ein anderer; zählt "
        "nicht mehr mit",
        "server": "`{host}`, Modell `{model}`, {engine}; gestartet am {started}: {state}",
        "own_process": "Modell im eigenen Prozess",
        "relays": "leitet an `{engine}` weiter",
        "in_process_also": "Die übrigen Server führen das Modell im eigenen Prozess aus: deren "
        "Anfragen und Antworten gehen an keine andere Stelle.",
        "no_policy_some": "Server ohne Sicherheitsrichtlinie (ihre Anfragen werden nicht "
        "gefiltert): {hosts}.",
        "missing": "**Fehlt – vom Verantwortlichen zu ergänzen** (`{field}` in der Faktendatei).",
        "a": "a) Verantwortlicher und Datenschutzbeauftragte(r)",
        "controller": "Verantwortlicher",
        "dpo": "Datenschutzbeauftragte(r)",
        "b": "b) Zwecke der Verarbeitung",
        "legal_basis": "Rechtsgrundlage",
        "c": "c) Betroffene Personen und Kategorien personenbezogener Daten",
        "subjects": "Personen mit Zugang zum Server: {users} ({disabled} gesperrt) in {groups}, "
        "{keys} ({active} gültig).",
        "users_one": "1 Nutzerkonto",
        "users": "{count} Nutzerkonten",
        "groups_one": "1 Gruppe",
        "groups": "{count} Gruppen",
        "keys_one": "1 API-Schlüssel",
        "keys_many": "{count} API-Schlüssel",
        "accounts": "Nutzerkonten: Name, Gruppen, Sperrvermerk, Anlagedatum.",
        "keys": "API-Schlüssel: Kennung, Bezeichnung, SHA-256 des Geheimnisses (das Geheimnis "
        "selbst wird nicht gespeichert), erlaubte Modelle, Ablauf, Widerruf, letzte Nutzung.",
        "audit": "Protokoll, je Anfrage die Felder {columns}; {records} Einträge{oldest}.",
        "oldest": ", der älteste vom {date}",
        "unfinished": "Davon **nicht abgeschlossen**: {count} (Entscheidung `unfinished`, ohne "
        "Dauer und Tokens) – Streams, die noch laufen oder deren Server endete, bevor die Antwort "
        "vollständig war; ihr Status 200 heißt nur, dass die Antwort begonnen hatte.",
        "pseudonym": "Die Person steht im Protokoll nur als Pseudonym (HMAC-SHA-256 mit dem "
        "Pseudonymschlüssel der Installation), nicht mit Namen. Die Datenbank hält zu jedem "
        "Eintrag die Schlüssel-ID, die über die Schlüsseltabelle auf die Person führt; ein "
        "Export des Protokolls nennt den Schlüssel darum nur als eigenes Pseudonym (`k-…`).",
        "key_renewed": "Der Pseudonymschlüssel ging verloren und wurde am {date} (UTC) "
        "bewusst durch einen neuen ersetzt (`gemeingut admin audit new-pseudonym-key`, im "
        "Protokoll vermerkt): Die Pseudonyme der Einträge von davor lassen sich keiner Person "
        "mehr zuordnen, auch nicht für eine Auskunft nach Art. 15 DSGVO "
        "(`audit export --user` findet nur Einträge seitdem).",
        "request_ids": "`x_request_id` ist die Kennung der HTTP-Anfrage, die ihre Antwort im "
        "Header `x-request-id` nennt (damit der Support den Eintrag zu einer gemeldeten Anfrage "
        "findet): zufällig erzeugt oder die des vorgeschalteten Proxys, ohne Angaben zur Person.",
        "server_ids": "`server` ist die Kennung des Serverprozesses, der den Eintrag schrieb "
        "(unter der dieses Verzeichnis seine Einstellungen führt, `--json`: `key`; sie zeigt, "
        "wann ein abgestürzter Server ausfiel), ohne Angaben zur Person.",
        "content_none": "Inhalte von Anfragen und Antworten: werden nicht gespeichert (das "
        "Protokoll hat keine Spalte dafür).",
        "content_kept": "Inhalte von Anfragen und Antworten: werden gespeichert (in dieser "
        "Installation eingeschaltet), unter demselben Pseudonym; jedes Lesen durch die "
        "Administration steht im Protokoll.",
        "content_retention": "Gespeicherte Inhalte werden nach {days} gelöscht.",
        "content_minimised": "Vor dem Speichern ersetzt der Server darin die "
        "personenbezogenen Daten, die seine Erkennung findet, durch Platzhalter ({kinds}; "
        "Datenminimierung, Art. 5 Abs. 1 lit. c DSGVO).",
        "names_redacted": "Namen ohne Anrede oder Titel davor findet sie nicht.",
        "names_kept": "Personennamen bleiben erhalten, wie diese Installation entschieden hat "
        "(`gemeingut admin content names --keep`).",
        "one_day": "1 Tag",
        "days": "{days} Tagen",
        "ip_none": "IP-Adressen: werden nicht gespeichert.",
        "ip_kept": "IP-Adressen: werden im Protokoll gespeichert.",
        "counters": "Kontingentzähler: verbrauchte Tokens je Schlüssel, Person und Gruppe und "
        "Zeitfenster.",
        "sign_in": "Anmeldung über den Identitätsanbieter `{issuer}`: aus seinem ID-Token liest "
        "der Server den Claim `{user}` (welches Nutzerkonto){groups}; die Sitzungsschlüssel der "
        "Seite gelten {hours} Stunden.",
        "sign_in_groups": " und den Claim `{claim}` (die Gruppen der Person; sie ersetzen ihre "
        "Mitgliedschaften bei jeder Anmeldung)",
        "d": "d) Empfänger",
        "in_process": "Das Modell läuft im Prozess des Servers: Anfragen und Antworten gehen an "
        "keine andere Stelle.",
        "upstream": "Anfragen und Antworten gehen an die Inferenz-Maschine `{upstream}`.",
        "further": "Weitere Empfänger",
        "e": "e) Übermittlungen in Drittländer",
        "f": "f) Löschfristen",
        "retention": "Protokolleinträge werden nach {days} gelöscht (der Server prüft stündlich).",
        "no_retention": "**Keine Löschfrist festgelegt**: Protokolleinträge bleiben, bis sie "
        "mit `gemeingut admin audit purge` gelöscht werden; `gemeingut admin audit retention "
        "--days N` legt eine für alle Server dieser Datenbank fest.",
        "counter_retention": "Kontingentzähler vergangener Zeitfenster werden stündlich gelöscht.",
        "account_retention": "Nutzerkonten und Schlüssel bleiben, bis eine Administratorin die "
        "Person entfernt (`gemeingut admin users remove`, das auch ihre Schlüssel, Limits und "
        "gespeicherten Inhalte löscht); Sperren und Widerrufen löschen nichts.",
        "g": "g) Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
        "tom_pseudonym": "Pseudonymisierung der Personen im Protokoll (keine Spalte für Namen "
        "oder Nutzerkennungen).",
        "tom_named": "**Das Protokoll hat eine Spalte für Namen oder Nutzerkennungen**: Personen "
        "sind darin nicht nur pseudonym.",
        "tom_keys": "Schlüssel nur als SHA-256 gespeichert (keine Spalte für das Geheimnis).",
        "tom_keys_open": "**Die Schlüsseltabelle hat eine Spalte für das Geheimnis.**",
        "tom_key_apart": "Der Pseudonymschlüssel liegt getrennt von der Datenbank in einer "
        "Datei, die nur ihr Eigentümer lesen kann: wer eine Kopie der Datenbank hat (eine "
        "Sicherung, einen Export), kann die Pseudonyme keiner Person zuordnen.",
        "tom_key_readable": "**Der Pseudonymschlüssel liegt getrennt von der Datenbank, aber in "
        "einer Datei, die auch andere als ihr Eigentümer lesen dürfen** (`chmod 600` macht sie "
        "privat): wer sie lesen kann und eine Kopie der Datenbank hat, kann die Pseudonyme den "
        "Namen der Nutzertabelle zuordnen.",
        "tom_key_open": "**Der Pseudonymschlüssel liegt in der Datenbank**: wer eine Kopie der "
        "Datenbank hat, kann die Pseudonyme den Namen der Nutzertabelle zuordnen "
        "(`GEMEINGUT_PSEUDONYM_KEY` legt ihn in eine eigene Datei).",
        "tom_complete": "Jeder Protokolleintrag wird gespeichert, bevor die Antwort den Server "
        "verlässt; der eines Streams steht bis zu dessen Ende auf `unfinished`.",
        "tom_operator": "Lesen und Ändern durch die Administration (`gemeingut admin`) steht im "
        "Protokoll, mit einem Pseudonym der handelnden Person (`operator_pseudonym`). Das ist "
        "Nachvollziehbarkeit nach bestem Bemühen, keine Authentifizierung: der Name, aus dem es "
        "gebildet wird (`--operator`, `GEMEINGUT_OPERATOR`, das Betriebssystemkonto), lässt sich "
        "beliebig setzen, und das Pseudonym ist ein HMAC dieses erratbaren Namens mit dem "
        "Pseudonymschlüssel. Wer `gemeingut admin` ausführen kann, entscheidet der "
        "Zugriff auf die Datenbank.",
        "policy": "Veröffentlichte Sicherheitsrichtlinie `{policy}` (alle Regeln unter "
        "`GET /v1/policy`).",
        "no_policy": "Keine Sicherheitsrichtlinie: Anfragen werden nicht gefiltert.",
        "policy_unknown": "Sicherheitsrichtlinie: noch unbekannt, weil noch kein Server mit "
        "dieser Datenbank gestartet ist; der erste Start verzeichnet sie.",
        "classifiers": "Regeln der Richtlinie, die ein Klassifikationsmodell über jede Anfrage "
        "urteilen lassen: {rules}.",
    },
    "en": {
        "title": "Record of processing activities (Art. 30 (1) GDPR)",
        "activity": "Processing: running the language model `{model}` with `gemeingut serve` "
        "(keys, quotas, audit log). Settings as of the last start on {started}.",
        "activity_many": "Processing: running the language models `{model}` with `gemeingut "
        "serve` (keys, quotas, audit log). Settings as of the last start on {started}.",
        "no_deployment": "The server has never started with this database: model, engine, "
        "and policy are unknown (the retention is under f).",
        "servers": "Servers of this database (each start records its settings; this record "
        "describes all that count):",
        "running": "running",
        "silent": "no sign of life and not stopped cleanly (crashed, killed with SIGKILL, or "
        "the database cannot be reached from there); counts until {until}",
        "silent_beat": "not stopped cleanly (crashed, killed with SIGKILL, or the database "
        "cannot be reached from there): last sign of life on {beat}, taken as running until "
        "{ended} (a server silent for {grace} s counts as stopped); counts until {until}",
        "restarted": "not stopped cleanly, last sign of life on {beat}; started again since "
        "with the same settings; counts no longer",
        "restart": "restart of the same server (same host, `--port` and settings): the one "
        "started on {started} ended without a clean stop at its last sign of life on {beat}",
        "outage": "outage from {since}: {ended}; {refused} for {models} answered 503 in it "
        "that the audit log holds (queue full, database unreachable); refusals at the "
        "connection limit (`too_many_connections`) and requests sent to the server that is "
        "down are not logged",
        "outage_ended": "ended on {ended} (the first request for {models} answered "
        "successfully since)",
        "outage_open": "no request for {models} answered successfully since",
        "outage_restarted": "until the restart on {started}",
        "requests_one": "1 request",
        "requests": "{count} requests",
        "stopped": "stopped cleanly on {stopped}, no server started since; counts until {until}",
        "replaced": "stopped cleanly on {stopped}, another one started since; counts no longer",
        "server": "`{host}`, model `{model}`, {engine}; started on {started}: {state}",
        "own_process": "model in its own process",
        "relays": "relays to `{engine}`",
        "in_process_also": "The other servers run the model in their own process: their "
        "requests and answers go to no other party.",
        "no_policy_some": "Servers without a safety policy (their requests are not filtered): "
        "{hosts}.",
        "missing": "**Missing – to be completed by the controller** (`{field}` in the facts file).",
        "a": "a) Controller and data protection officer",
        "controller": "Controller",
        "dpo": "Data protection officer",
        "b": "b) Purposes of the processing",
        "legal_basis": "Legal basis",
        "c": "c) Data subjects and categories of personal data",
        "subjects": "People with access to the server: {users} ({disabled} disabled) in "
        "{groups}, {keys} ({active} valid).",
        "users_one": "1 user account",
        "users": "{count} user accounts",
        "groups_one": "1 group",
        "groups": "{count} groups",
        "keys_one": "1 API key",
        "keys_many": "{count} API keys",
        "accounts": "User accounts: name, groups, disabled flag, creation date.",
        "keys": "API keys: id, name, SHA-256 of the secret (the secret itself is not stored), "
        "allowed models, expiry, revocation, last use.",
        "audit": "Audit log, per request the fields {columns}; {records} records{oldest}.",
        "oldest": ", the oldest from {date}",
        "unfinished": "**Not finished** among them: {count} (decision `unfinished`, no duration "
        "or tokens) – streams still running or whose server stopped before the answer was "
        "complete; their status 200 only says that the answer had begun.",
        "pseudonym": "A person appears in the log only as a pseudonym (HMAC-SHA-256 with the "
        "deployment's pseudonym key), never by name. The database keeps each record's key id, "
        "which its key table ties to a person; an export of the log therefore names the key "
        "by a pseudonym of its own (`k-…`).",
        "key_renewed": "The pseudonym key was lost and deliberately replaced by a new one on "
        "{date} (UTC) (`gemeingut admin audit new-pseudonym-key`, noted in the log): the "
        "pseudonyms of the records before then can no longer be tied to anyone, not for a "
        "request under Art. 15 GDPR either (`audit export --user` finds only records since).",
        "request_ids": "`x_request_id` is the id of the HTTP request, which its answer names in "
        "the `x-request-id` header (so that support finds the record of a request someone "
        "reports): made at random or the reverse proxy's, with nothing about the person.",
        "server_ids": "`server` is the key of the server process that wrote the record (the "
        "one this record keeps its settings under, `--json`: `key`; it shows when a crashed "
        "server went down), with nothing about the person.",
        "content_none": "Content of requests and answers: not stored (the log has no column "
        "for it).",
        "content_kept": "Content of requests and answers: stored (switched on in this "
        "deployment), under the same pseudonym; every read by an administrator is in the log.",
        "content_retention": "Stored content is deleted after {days}.",
        "content_minimised": "Before storing it, the server replaces the personal data its "
        "detectors recognise in it by placeholders ({kinds}; data minimisation, Art. 5(1)(c) "
        "GDPR).",
        "names_redacted": "Names with no form of address or title before them are not recognised.",
        "names_kept": "Person names are kept, as this deployment decided "
        "(`gemeingut admin content names --keep`).",
        "one_day": "1 day",
        "days": "{days} days",
        "ip_none": "IP addresses: not stored.",
        "ip_kept": "IP addresses: stored in the log.",
        "counters": "Quota counters: tokens used per key, person, group and time window.",
        "sign_in": "Sign-in through the identity provider `{issuer}`: from its ID token the "
        "server reads the claim `{user}` (which user account){groups}; the page's session keys "
        "are valid for {hours} hours.",
        "sign_in_groups": " and the claim `{claim}` (the person's groups; they replace the "
        "memberships at each sign-in)",
        "d": "d) Recipients",
        "in_process": "The model runs in the server's process: requests and answers go to no "
        "other party.",
        "upstream": "Requests and answers go to the inference engine `{upstream}`.",
        "further": "Further recipients",
        "e": "e) Transfers to third countries",
        "f": "f) Time limits for erasure",
        "retention": "Audit records are deleted after {days} (the server checks hourly).",
        "no_retention": "**No time limit set**: audit records stay until `gemeingut admin "
        "audit purge` deletes them; `gemeingut admin audit retention --days N` sets one for "
        "every server of this database.",
        "counter_retention": "Quota counters of past windows are deleted hourly.",
        "account_retention": "User accounts and keys stay until an administrator removes the "
        "person (`gemeingut admin users remove`, which deletes their keys, limits and stored "
        "content too); disabling and revoking delete nothing.",
        "g": "g) Technical and organisational measures (Art. 32 GDPR)",
        "tom_pseudonym": "Persons pseudonymised in the log (no column for names or user ids).",
        "tom_named": "**The log has a column for names or user ids**: persons are not only "
        "pseudonymised in it.",
        "tom_keys": "Keys stored only as SHA-256 (no column for the secret).",
        "tom_keys_open": "**The key table has a column for the secret.**",
        "tom_key_apart": "The pseudonym key is kept apart from the database, in a file readable "
        "by its owner only: whoever has a copy of the database (a backup, an export) cannot tie "
        "the pseudonyms to anyone.",
        "tom_key_readable": "**The pseudonym key is kept apart from the database, but in a file "
        "that others than its owner may read** (`chmod 600` makes it private): whoever can read "
        "it and has a copy of the database can tie the pseudonyms to the names of the user table.",
        "tom_key_open": "**The pseudonym key is kept in the database**: whoever has a copy of "
        "the database can tie the pseudonyms to the names of the user table "
        "(`GEMEINGUT_PSEUDONYM_KEY` puts it in a file of its own).",
        "tom_complete": "Each audit record is stored before the answer leaves the server; a "
        "stream's says `unfinished` until the stream ends.",
        "tom_operator": "Reads and changes by administrators (`gemeingut admin`) are in the "
        "log, with a pseudonym of the person acting (`operator_pseudonym`). This accountability "
        "is best effort, not authentication: the name it is made from (`--operator`, "
        "`GEMEINGUT_OPERATOR`, the OS account) can be set to anything, and the pseudonym is an "
        "HMAC of that guessable name with the pseudonym key. Who can run "
        "`gemeingut admin` is decided by access to the database.",
        "policy": "Published safety policy `{policy}` (every rule at `GET /v1/policy`).",
        "no_policy": "No safety policy: requests are not filtered.",
        "policy_unknown": "Safety policy: not known yet, as no server has started with this "
        "database; the first start records it.",
        "classifiers": "Rules of the policy that let a classification model judge every "
        "request: {rules}.",
    },
}


def render_record(record: Record, language: str = "de") -> str:
    t = TEXT.get(language, TEXT["de"])
    facts = record.facts
    setup = record.deployment
    named = {name: ", ".join(values) for name, values in record.named.items()}

    def stated(name: str, indent: str = "") -> str:
        """A stated fact as given (a list as a list), or the mark that it is missing."""
        value = getattr(facts, name)
        if not value:
            return t["missing"].format(field=name)
        if isinstance(value, list):
            return "\n".join(f"{indent}- {item.strip()}" for item in value)
        return value.strip()

    lines = [f"# {t['title']}", ""]
    if "started" in setup:  # a retention set by hand (`admin audit retention`) is no start
        models = record.named.get("model", ["?"])
        activity = t["activity_many"] if len(models) > 1 else t["activity"]
        lines += [activity.format(model="`, `".join(models), started=setup["started"]), ""]
    elif not record.servers:
        lines += [t["no_deployment"], ""]
    lines += _servers(record, t)
    lines += [f"## {t['a']}", "", f"- {t['controller']}: {stated('controller')}"]
    lines += [f"- {t['dpo']}: {stated('dpo')}", "", f"## {t['b']}", "", stated("purposes")]
    lines += ["", f"- {t['legal_basis']}: {stated('legal_basis')}", "", f"## {t['c']}", ""]
    oldest = (
        t["oldest"].format(date=record.oldest_record.date().isoformat())
        if record.oldest_record
        else ""
    )
    lines += [
        t["subjects"].format(
            users=_count(record.users, t["users_one"], t["users"]),
            disabled=record.disabled_users,
            groups=_count(record.groups, t["groups_one"], t["groups"]),
            keys=_count(record.keys, t["keys_one"], t["keys_many"]),
            active=record.active_keys,
        ),
        "",
        f"- {t['accounts']}",
        f"- {t['keys']}",
        "- "
        + t["audit"].format(
            columns=", ".join(f"`{c}`" for c in record.audit_columns),
            records=record.audit_records,
            oldest=oldest,
        ),
        *(
            [f"- {t['unfinished'].format(count=record.unfinished_records)}"]
            if record.unfinished_records
            else []
        ),
        *([f"- {t['pseudonym']}"] if record.pseudonymised else []),
        *(
            [f"- {t['key_renewed'].format(date=record.pseudonym_key_renewed)}"]
            if record.pseudonym_key_renewed
            else []
        ),
        *([f"- {t['request_ids']}"] if "x_request_id" in record.audit_columns else []),
        *([f"- {t['server_ids']}"] if "server" in record.audit_columns else []),
        f"- {_content(record, t, language)}",
        f"- {t['ip_kept'] if record.addresses_logged else t['ip_none']}",
        f"- {t['counters']}",
        *_sign_in(record, t),
        *held_lines(record.stores, language),
        "",
        f"## {t['d']}",
        "",
    ]
    engines = list(dict.fromkeys(s.facts.get("engine", "") for s in record.counted))
    relayed = [engine for engine in engines if engine and engine != IN_PROCESS]
    lines += [t["upstream"].format(upstream=engine) for engine in relayed]
    if IN_PROCESS in engines:
        lines.append(t["in_process_also"] if relayed else t["in_process"])
    if readers := reader_lines(record.stores, language):
        lines += ["", *readers]
    recipients = stated("recipients", indent="  ")
    if isinstance(facts.recipients, list) and facts.recipients:
        recipients = "\n" + recipients  # a list under its heading
    lines += ["", f"- {t['further']}: {recipients}", "", f"## {t['e']}", ""]
    lines += [stated("transfers"), "", f"## {t['f']}", ""]
    days = setup.get("audit_retention_days")
    lines += [
        f"- {t['retention'].format(days=_days(days, t)) if days else t['no_retention']}",
        *(
            [f"- {t['content_retention'].format(days=_days(record.content_days, t))}"]
            if record.content_days
            else []
        ),
        f"- {t['counter_retention']}",
        f"- {t['account_retention']}",
        *retention_lines(record.stores, language),
        "",
        f"## {t['g']}",
        "",
        f"- {t['tom_pseudonym'] if record.pseudonymised else t['tom_named']}",
        f"- {t['tom_keys'] if record.keys_hashed else t['tom_keys_open']}",
        f"- {t[_where_the_key_is(record)]}",
        f"- {t['tom_complete']}",
        *([f"- {t['tom_operator']}"] if "operator_pseudonym" in record.audit_columns else []),
    ]
    lines.append(f"- {_policy(setup, named, t)}")
    unfiltered = [s.facts.get("host", "?") for s in record.counted if not s.facts.get("policy")]
    if named.get("policy") and unfiltered:
        hosts = ", ".join(f"`{host}`" for host in dict.fromkeys(unfiltered))
        lines.append(f"- {t['no_policy_some'].format(hosts=hosts)}")
    if named.get("policy_classifiers"):
        lines.append(f"- {t['classifiers'].format(rules=named['policy_classifiers'])}")
    return "\n".join(lines) + "\n"


def _servers(record: Record, t: dict[str, str]) -> list[str]:
    """Each stored server, newest start first, with what became of it: the reader sees which
    settings the record describes and why. A server started again as it was after a crash
    is listed once, with each earlier run's end and the outage between under it."""
    if not record.servers:
        return []
    lines = [t["servers"], ""]
    listed = {server.key for server in record.servers}
    for server in record.servers:
        if server.state == RESTARTED and server.restarted_as in listed:
            continue  # under the one that took its place
        lines.append(f"- {_server_line(server, t)}")
        lines += [f"  - {line}" for line in _restarts(record, server, t)]
    lines.append("")
    return lines


def _server_line(server: Server, t: dict[str, str]) -> str:
    facts = server.facts
    state = _state(server, t)
    if server.state == SILENT and server.outage:
        state += f"; {_outage(server.outage, server.models, t)}"
    engine = facts.get("engine", IN_PROCESS)
    said = t["own_process"] if engine == IN_PROCESS else t["relays"].format(engine=engine)
    host = facts.get("host", "?")
    return t["server"].format(
        host=f"{host}:{facts['port']}" if facts.get("port") else host,
        started=facts["started"],
        state=state,
        model=facts.get("model", "?"),
        engine=said,
    )


def _state(server: Server, t: dict[str, str]) -> str:
    """What became of `server`: a silent one with its last sign of life where it is known."""
    beat = f"{server.last_sign:{STAMP}}" if server.last_sign else "?"
    name = "silent_beat" if server.state == SILENT and server.last_beat else server.state
    return t[name].format(
        until=f"{server.until:%Y-%m-%d}",
        stopped=server.facts.get("stopped", "?"),
        beat=beat,
        ended=f"{server.last_beat + STOPPED_AFTER:{STAMP}}" if server.last_beat else "?",
        grace=int(STOPPED_AFTER.total_seconds()),
    )


def _restarts(record: Record, server: Server, t: dict[str, str]) -> list[str]:
    """The earlier runs of `server`'s deployment that ended at their last heartbeat, newest
    first, each with the outage until the next start answered."""
    lines = []
    earlier = [s for s in record.servers if s.restarted_as == server.key]
    for run in earlier:
        line = t["restart"].format(started=run.facts["started"], beat=f"{run.last_sign:{STAMP}}")
        outage = _outage(run.outage, run.models, t) if run.outage else ""
        lines.append(f"{line}; {outage}" if outage else line)
        lines += _restarts(record, run, t)
    return lines


def _outage(outage: Outage, served: list[str], t: dict[str, str]) -> str:
    """When an outage began and ended (by a request for the models its server `served` that
    another process answered, or by its restart: a server started again is not down, asked
    or not, and nothing is claimed of requests then) and how many of them the audit log holds
    as answered 503 in it, and which it cannot."""
    models = ", ".join(f"`{model}`" for model in served) or "?"
    if outage.by_restart and outage.ended:
        ended = t["outage_restarted"].format(started=f"{outage.ended:{STAMP}}")
    elif outage.ended:
        ended = t["outage_ended"].format(ended=f"{outage.ended:{STAMP}}", models=models)
    else:
        ended = t["outage_open"].format(models=models)
    return t["outage"].format(
        since=f"{outage.since:{STAMP}}",
        models=models,
        ended=ended,
        refused=_count(outage.refused, t["requests_one"], t["requests"]),
    )


def _content(record: Record, t: dict[str, str], language: str) -> str:
    """Whether requests and answers are stored: a report stores the one it is about."""
    if record.content_days:  # logged now: what is replaced before it is stored
        kinds = text(kinds_named(record.content_redacted), language)
        names = t["names_kept"] if record.content_names_kept else t["names_redacted"]
        return f"{t['content_kept']} {t['content_minimised'].format(kinds=kinds)} {names}"
    if record.content_logged:
        return t["content_kept"]
    reported = reported_content(record.stores, language)
    return t["content_none"].removesuffix(".") + reported if reported else t["content_none"]


def _policy(setup: dict[str, str], named: dict[str, str], t: dict[str, str]) -> str:
    """The policies the servers that count serve; none only where a server started without one (a
    retention set by hand before any start is no start: nothing is known of a policy yet)."""
    if named.get("policy"):
        return t["policy"].format(policy=named["policy"])
    return t["no_policy"] if "started" in setup else t["policy_unknown"]


def _count(count: int, one: str, other: str) -> str:
    """`1 Gruppe`, `2 Gruppen`: never "1 Gruppen"."""
    return plural(count, one, other.format(count=count))  # type: ignore[arg-type]


def _days(days: int | str, t: dict[str, str]) -> str:
    """A period as the sentence needs it: `1 Tag`, `90 Tagen` (after "nach")."""
    return t["one_day"] if int(days) == 1 else t["days"].format(days=days)


def _sign_in(record: Record, t: dict[str, str]) -> list[str]:
    """The identity providers and what the servers read from them, where people sign in so:
    each server that counts may have its own (not only the newest start's)."""
    lines: list[str] = []
    for setup in (server.facts for server in record.counted):
        if not setup.get("sign_in_issuer"):
            continue
        claim = setup.get("sign_in_groups_claim")
        groups = t["sign_in_groups"].format(claim=claim) if claim else ""
        line = t["sign_in"].format(
            issuer=setup["sign_in_issuer"],
            user=setup.get("sign_in_user_claim", "?"),
            groups=groups,
            hours=setup.get("sign_in_hours", "?"),
        )
        lines += [] if f"- {line}" in lines else [f"- {line}"]
    return lines


def _where_the_key_is(record: Record) -> str:
    """The text on the pseudonym key: apart and private, apart but readable by others, or in
    the database."""
    if not record.pseudonym_key_apart:
        return "tom_key_open"
    return "tom_key_apart" if record.pseudonym_key_private else "tom_key_readable"
