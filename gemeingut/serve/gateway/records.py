"""The record of processing activities (Art. 30 (1) GDPR / DSGVO) of a deployment, written from
what the deployment does, not from what someone believes it does.

Each server process records its settings in the database when it starts (`record_deployment`,
under its own key; the record describes all that count, `records_servers.py`):
model, engine (in this process, or which upstream engine receives the prompts: its address
without the credentials its URL may carry), policy (and
which of its rules ask a classifier model), the identity provider people sign in through and
the claims read from it, and the stores of personal data besides the database: the document
collections (and whether people upload to them) and the findings file. The audit retention
and content logging are not any one server's:
every server of the database applies the ones stored for all of them (`retention.py`). The
record reads them back with the audit table's own columns (reflected from the database, so a
column added later shows up), the numbers of accounts, keys and audit records, and what the
stores hold now (`records_stores.py`: also findings files an earlier start stored reports
in, which the database remembers). What only
the controller can say (who is responsible, the purposes and legal basis, further recipients,
transfers to third countries) comes from a facts file; where it is missing the document says so
in place, and `missing` lists it: it is never invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import Connection, Engine, func, inspect, select

from gemeingut.errors import InputError
from gemeingut.i18n import _
from gemeingut.serve.backends.address import shown_address
from gemeingut.serve.gateway.audit_log import ADDRESS_COLUMNS, CONTENT_COLUMNS, unfinished
from gemeingut.serve.gateway.content_privacy import kinds_replaced, names_kept
from gemeingut.serve.gateway.leases import LAST_BEAT
from gemeingut.serve.gateway.local_clock import iso_utc
from gemeingut.serve.gateway.pseudonym_key import RENEWED
from gemeingut.serve.gateway.records_servers import (
    PORT,
    PORT_ASKED,
    RUNNING,
    STAMP,
    Server,
    host_name,
    read_servers,
    this_process,
    when,
    write_server,
)
from gemeingut.serve.gateway.records_stores import Stores, read_stores
from gemeingut.serve.gateway.retention import OFF, SHARED, SHARED_PREFIX, stored_values
from gemeingut.serve.gateway.store import insert_or_ignore, pseudonym_key_file, writing
from gemeingut.serve.gateway.tables import (
    api_keys,
    audit_log,
    content_log,
    groups,
    settings,
    users,
)
from gemeingut.yamlfile import compose, syntax_problem, where_wrong

IN_PROCESS = "in-process"
UNITED = ("model", "engine", "policy", "policy_classifiers")  # every server's, named
# Settings that hold only together: all from one server (the newest that has the first), never
# one server's folder with another's upload limit, or one's issuer with another's claims.
TOGETHER = (
    ("collections", "upload_max_mb"),
    ("findings", "findings_triage_group"),
    ("sign_in_issuer", "sign_in_user_claim", "sign_in_groups_claim", "sign_in_hours"),
)


@dataclass(frozen=True)
class Stored:
    """Where a starting server keeps personal data besides its database: the collections'
    folder (`--collections`) with the largest upload people may add (`--upload-max-mb`; None:
    no uploads), the findings file (`--findings`) and its triage group."""

    collections: Path | None = None
    upload_max_bytes: int | None = None
    findings: Path | None = None
    triage_group: str | None = None

    def facts(self) -> dict[str, str | None]:
        uploads = self.collections is not None and self.upload_max_bytes is not None
        return {
            "collections": str(self.collections.resolve()) if self.collections else None,
            "upload_max_mb": f"{self.upload_max_bytes / 2**20:g}" if uploads else None,
            "findings": str(self.findings.resolve()) if self.findings else None,
            "findings_triage_group": self.triage_group if self.findings else None,
        }


class ControllerFacts(BaseModel):
    """What only the controller can state; each is prose for the record, purposes and
    recipients also a list (one item each)."""

    model_config = ConfigDict(extra="forbid")

    controller: str | None = None  # name and contact of the controller
    dpo: str | None = None  # contact of the data protection officer
    purposes: str | list[str] | None = None
    legal_basis: str | None = None
    recipients: str | list[str] | None = None  # beyond the engine the server itself names
    transfers: str | None = None  # transfers to third countries, with safeguards

    @field_validator("purposes", "recipients", mode="before")
    @classmethod
    def _text_or_list(cls, value: object) -> object:
        """One message for a value that is neither (pydantic would report each of the two)."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise ValueError(_("must be a text or a list of texts"))


def record_deployment(
    engine: Engine, facts: dict[str, str | None], instance: str | None = None
) -> None:
    """Store what this server process does under its own key (`records_servers`: the record
    describes every server that counts, not only the last one started); a value longer than
    the column (a folder's path) in pieces (`long_settings`), so that the record names it
    whole. The periods every server shares (`retention.SHARED`) only go in where none is
    stored yet: a start with another one has been refused (`agree_retention`). `instance`:
    the process's key, this process's unless given."""
    own = {name: value for name, value in facts.items() if name not in SHARED}
    with writing(engine) as conn:
        for name in SHARED:
            if facts.get(name):
                insert_or_ignore(conn, settings, name=SHARED_PREFIX + name, value=str(facts[name]))
        write_server(conn, instance or this_process(), own)


def record_again(facts: dict[str, str | None], conn: Connection) -> None:
    """`record_deployment`'s own settings again, in the caller's transaction: for a process
    registered again after the others took it for stopped (`Leases.registered_again`), whose
    entry a start may have deleted meanwhile as one silent past `KEEP_DAYS` — a server that
    runs must not drop out of the record until it restarts."""
    write_server(conn, this_process(), {n: v for n, v in facts.items() if n not in SHARED})


def deployment_facts(
    model: str,
    upstream: str | None,
    audit_retention_days: int | None,
    policy: Any,
    now: datetime,
    content_log_days: int | None = None,
    sign_in: Any = None,
    stores: Stored | None = None,
    port: int | None = None,
    port_asked: int | None = None,
) -> dict[str, str | None]:
    """What a starting server records: `policy` is the loaded `Policy`, or None; `sign_in`
    the identity provider's `OidcSettings`, or None; `stores` where it keeps documents and
    findings; `port` the one it listens on (None: not known, as in a test's app), so that a
    server beside it on another port is not taken for its restart, and `port_asked` the one
    asked for (0: any free one, which its restart is known by)."""
    classifiers = [r.id for r in policy.spec.rules if r.kind == "classifier"] if policy else []
    return (stores or Stored()).facts() | {
        "sign_in_issuer": sign_in.issuer if sign_in else None,
        "sign_in_user_claim": sign_in.user_claim if sign_in else None,
        "sign_in_groups_claim": sign_in.groups_claim if sign_in else None,
        "sign_in_hours": f"{sign_in.session_hours:g}" if sign_in else None,
        "policy_classifiers": ", ".join(classifiers) or None,
        "content_log_days": str(content_log_days) if content_log_days else None,
        "model": model,
        "engine": shown_address(upstream) if upstream else IN_PROCESS,
        "audit_retention_days": str(audit_retention_days) if audit_retention_days else None,
        "policy": f"{policy.spec.id} {policy.spec.version} (sha256 {policy.sha256[:16]})"
        if policy is not None
        else None,
        "started": now.strftime(STAMP),
        "host": host_name(),
        PORT: str(port) if port else None,
        PORT_ASKED: str(port_asked) if port_asked is not None else None,
    }


def every(servers: list[Server]) -> dict[str, list[str]]:
    """The model, engine and policy (`UNITED`) of every server that counts, newest start
    first, each once: kept as a list (a model's name may hold a comma), joined where written."""
    counted = [server for server in servers if server.counts]
    found = {
        name: list(dict.fromkeys(s.facts[name] for s in counted if s.facts.get(name)))
        for name in UNITED
    }
    return {name: values for name, values in found.items() if values}


def united(servers: list[Server]) -> dict[str, str]:
    """One setting per name from the servers that count, newest start first: where they
    differ, the newest's (`TOGETHER`: from one server); the model, engine and policy are not
    among them (`every`)."""
    counted = [server for server in servers if server.counts]
    found: dict[str, str] = {}
    for server in counted:
        for name, value in server.facts.items():
            if name not in UNITED:
                found.setdefault(name, value)
    for names in TOGETHER:
        first = next((s.facts for s in counted if s.facts.get(names[0])), {})
        for name in names:
            found.pop(name, None)
            if first.get(name):
                found[name] = first[name]
    for name in ("stopped", LAST_BEAT):
        found.pop(name, None)
    return found


def _shared(engine: Engine) -> dict[str, str]:
    """The periods every server of the database applies (`retention.SHARED`), where set."""
    return {name: value for name, value in stored_values(engine).items() if value != OFF}


def load_facts(path: Path | None) -> ControllerFacts:
    """The controller's facts in `path`; a mistake is said with its line and field, in the
    reader's language (as the safety policy's are)."""
    if path is None:
        return ControllerFacts()
    try:
        data, root = compose(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(
            _("{path}: cannot be read ({error})", path=str(path), error=str(error)),
            _("pass a YAML file with the controller's facts"),
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            _("{path}: not a UTF-8 text file", path=str(path)), _("save it as UTF-8")
        ) from None
    except yaml.YAMLError as error:
        raise InputError(syntax_problem(path, error), _("fix the YAML")) from None
    try:
        return ControllerFacts.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        known = list(ControllerFacts.model_fields)
        raise InputError(
            _(
                "{path}: {problem}",
                path=str(path),
                problem=where_wrong(data, root, first, lambda _loc: known, cutoff=0.6),
            ),
            _("allowed fields: {fields}", fields=", ".join(known)),
        ) from None


@dataclass
class Record:
    """The record's facts, each computed or stated; `missing` names what nobody stated."""

    deployment: dict[str, str]  # the servers' settings that count (`united`)
    named: dict[str, list[str]]  # every such server's model, engine and policy (`every`)
    facts: ControllerFacts
    audit_columns: list[str]
    key_columns: list[str]
    users: int
    disabled_users: int
    groups: int
    keys: int
    active_keys: int
    audit_records: int
    oldest_record: datetime | None
    content_stored: int = 0  # requests whose content is kept now
    content_names_kept: bool = False  # `admin content names --keep`: names not replaced
    unfinished_records: int = 0  # streams not ended: running, or cut off with their server
    stores: Stores = field(default_factory=Stores)  # documents and findings, as they are now
    pseudonym_key_apart: bool = False  # the pseudonym key in a file, not in the database
    pseudonym_key_private: bool = False  # that file readable by its owner only, read off it
    # When a new pseudonym key last replaced a lost one (`admin audit new-pseudonym-key`): the
    # records before then carry pseudonyms nobody can tie to a person any more.
    pseudonym_key_renewed: str | None = None
    missing: list[str] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)  # newest start first

    @property
    def counted(self) -> list[Server]:
        """The servers whose settings the record describes."""
        return [server for server in self.servers if server.counts]

    @property
    def content_logged(self) -> bool:
        columns = bool(set(self.audit_columns) & CONTENT_COLUMNS)
        return columns or self.content_days is not None or self.content_stored > 0

    @property
    def content_days(self) -> int | None:
        days = self.deployment.get("content_log_days")
        return int(days) if days else None

    @property
    def content_redacted(self) -> tuple[str, ...]:
        """The kinds of personal data replaced before content is stored, as set now."""
        return kinds_replaced(self.content_names_kept)

    @property
    def pseudonymised(self) -> bool:
        """The log names a person by pseudonym only: no column of a name or a user id."""
        named = {"user", "user_name", "username", "user_id", "name"}
        return "user_pseudonym" in self.audit_columns and not named & set(self.audit_columns)

    @property
    def keys_hashed(self) -> bool:
        """Keys are stored as their hash only: no column that could hold the secret."""
        return "secret_sha256" in self.key_columns and "secret" not in self.key_columns

    @property
    def addresses_logged(self) -> bool:
        return bool(set(self.audit_columns) & ADDRESS_COLUMNS)


def read_record(engine: Engine, facts: ControllerFacts, now: datetime) -> Record:
    schema = inspect(engine)
    columns = [c["name"] for c in schema.get_columns(audit_log.name) if c["name"] != "id"]
    key_columns = [c["name"] for c in schema.get_columns(api_keys.name)]
    servers = read_servers(engine, now)
    with engine.connect() as conn:
        count = lambda query: int(conn.execute(query).scalar_one())  # noqa: E731
        record = Record(
            deployment=united(servers) | _shared(engine),
            named=every(servers),
            facts=facts,
            servers=servers,
            audit_columns=columns,
            key_columns=key_columns,
            users=count(select(func.count()).select_from(users)),
            disabled_users=count(select(func.count()).where(users.c.disabled.is_(True))),
            groups=count(select(func.count()).select_from(groups)),
            keys=count(select(func.count()).select_from(api_keys)),
            active_keys=count(
                select(func.count()).where(
                    api_keys.c.revoked_at.is_(None),
                    (api_keys.c.expires_at.is_(None)) | (api_keys.c.expires_at > now),
                )
            ),
            audit_records=count(select(func.count()).select_from(audit_log)),
            oldest_record=conn.execute(select(func.min(audit_log.c.at))).scalar_one(),
            content_stored=count(select(func.count()).select_from(content_log)),
            unfinished_records=count(select(func.count()).where(unfinished())),
            content_names_kept=names_kept(conn),
        )
    record.stores = read_stores(engine, record.deployment)
    key_file = pseudonym_key_file(engine)
    record.pseudonym_key_apart = key_file is not None
    record.pseudonym_key_private = key_file is not None and _only_its_owner_reads(key_file)
    with engine.connect() as conn:
        renewed = select(settings.c.value).where(settings.c.name == RENEWED)
        record.pseudonym_key_renewed = conn.execute(renewed).scalar_one_or_none()
    record.missing = [name for name, value in facts.model_dump().items() if not value]
    if not servers:  # a retention set by hand is no server's start
        record.missing.append("deployment")
    if not record.deployment.get("audit_retention_days"):  # item f: no time limit for erasure
        record.missing.append("audit_retention")
    return record


def _server_json(server: Server) -> dict[str, Any]:
    """A server as data: its settings, what became of it and, where it ended without a clean
    stop, its last heartbeat and the outage since (`records_servers.Outage`); its times in
    ISO 8601 (UTC, `Z`), its `counted_until` only where it still counts and does not run."""
    outage = server.outage
    facts = {name: value for name, value in server.facts.items() if name != LAST_BEAT}
    counting = server.counts and server.state != RUNNING
    return {
        "key": server.key,
        "state": server.state,
        "counted_until": f"{server.until:%F}" if counting else None,
        "last_heartbeat": _iso(server.last_beat),
        "restarted_as": server.restarted_as,
        "outage": {
            "since": _iso(outage.since),
            "ended": _iso(outage.ended),
            "ended_by": ("restart" if outage.by_restart else "request") if outage.ended else None,
            "answered_503": outage.refused,
        }
        if outage
        else None,
    } | (facts | _stamps_iso(facts))


def _stamps_iso(facts: dict[str, str]) -> dict[str, str]:
    """A start's and stop's stamps (`records_servers.STAMP`, or an earlier version's to the
    minute) in ISO 8601 as every other time of the JSON; one not read as either stays as is."""
    found = {name: when(facts[name]) for name in ("started", "stopped") if facts.get(name)}
    return {name: _iso(at) or facts[name] for name, at in found.items() if at != datetime.min}


def _iso(when: datetime | None) -> str | None:
    return iso_utc(when) if when else None


def _only_its_owner_reads(path: Path) -> bool:
    """Whether the key file is private now (an operator may have widened it since it was
    made 0600): the record says so only where it is."""
    try:
        return path.stat().st_mode & 0o077 == 0
    except OSError:  # gone since the start: nothing to say it is private
        return False


def as_json(record: Record) -> dict[str, Any]:
    return {
        "deployment": record.deployment | record.named | _stamps_iso(record.deployment),
        "servers": [_server_json(server) for server in record.servers],
        "controller_facts": record.facts.model_dump(),
        "audit_columns": record.audit_columns,
        "pseudonym_key_apart": record.pseudonym_key_apart,
        "pseudonym_key_private": record.pseudonym_key_private,
        "pseudonym_key_renewed": record.pseudonym_key_renewed,
        "content_logged": record.content_logged,
        "ip_addresses_logged": record.addresses_logged,
        "content_stored_requests": record.content_stored,
        "content_redacted": list(record.content_redacted) if record.content_days else None,
        "content_names_kept": record.content_names_kept,
        "users": record.users,
        "disabled_users": record.disabled_users,
        "groups": record.groups,
        "api_keys": record.keys,
        "active_api_keys": record.active_keys,
        "audit_records": record.audit_records,
        "unfinished_audit_records": record.unfinished_records,
        "stores": record.stores.as_json(),
        "oldest_audit_record": _iso(record.oldest_record),
        "missing": record.missing,
    }
