"""`gemeingut serve PATH`: find the model, check the database, policy and port, then serve.

Everything a user can get wrong is checked before the model loads (a minute for a large one):
the path, the database, the policy file, a network address without keys, the allowed host
names, the port.
"""

from __future__ import annotations

import errno
import gc
import ipaddress
import json
import logging
import os
import secrets
import socket
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from gemeingut.apps.rag.rerank import Reranker
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, current_language, plural, text
from gemeingut.model.loading import ADAPTER_CONFIG
from gemeingut.recipe import Device, Precision
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import Backend
from gemeingut.serve.backends.address import engine_address
from gemeingut.serve.connections import DEFAULT_HEADER_TIMEOUT, bounded_protocol
from gemeingut.serve.findings_routes import DEFAULT_TRIAGE_GROUP, FindingsDesk
from gemeingut.serve.gateway.policy import Policy
from gemeingut.serve.guards import allowed_hosts
from gemeingut.serve.limits import (
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_UPLOADS,
    DEFAULT_MAX_WAITING,
    KEEP_ALIVE_SECONDS,
)
from gemeingut.serve.metrics import MULTIPROCESS_DIR
from gemeingut.serve.model_audit import model_audit
from gemeingut.serve.model_card import ModelCardText, model_card
from gemeingut.serve.model_openness import ModelOpenness, card_openness, model_openness
from gemeingut.serve.oidc import OidcProvider, OidcSettings, discover
from gemeingut.serve.secrets import secret_from_environment
from gemeingut.serve.served import SAME_NAME_HINT, ModelEntry
from gemeingut.serve.trace_route import TraceIndex
from gemeingut.serve.upload_slots import UploadSlots
from gemeingut.workspace import ARTIFACT_FILE

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from gemeingut.apps.assistants.rulefile import Rule
    from gemeingut.serve.gateway.gate import Gateway

log = logging.getLogger("gemeingut.serve")

DEVICES = get_args(Device)
PRECISIONS = get_args(Precision)
# A worker that cannot start in place of one that ended is tried again after a pause, which
# doubles up to the longest: its cause (a key file moved away, the engine gone) may last.
FIRST_PAUSE = 1  # seconds
LONGEST_PAUSE = 60

LAYOUTS = (
    (Path("."), _("a Hugging Face model directory (config.json) or a LoRA adapter")),
    (Path("model"), _("a release bundle (model/config.json)")),
    (Path("bundle") / "model", _("a release artifact (bundle/model/config.json)")),
)


def resolve_model_dir(path: Path, option: str | None = None) -> Path:
    """The Hugging Face model directory inside whatever the user pointed at; `option` names
    the option that gave `path` (an argument is known by its place)."""
    shown = f"{option} {path}" if option else str(path)
    if not path.exists():
        raise InputError(_("{path} does not exist", path=shown), hint=_expected())
    for inner, _kind in LAYOUTS:
        candidate = path / inner
        if (candidate / "config.json").is_file() or (candidate / ADAPTER_CONFIG).is_file():
            return candidate.resolve()
    raise InputError(_("{path} holds no model to serve", path=shown), hint=_expected())


def default_model_name(path: Path) -> str:
    """The name the API lists when none is given.

    For a release artifact, the `model_name` its recipe declared (kept in `artifact.json`);
    otherwise the directory the user named (`gemeingut serve out/my-model` serves `my-model`).
    A path ending in `bundle/model` counts as the release above it.
    """
    top = path.resolve()
    while top.name in {"model", "bundle"} and top.parent != top:
        top = top.parent
    return _declared_release_name(top) or top.name or "model"


def _declared_release_name(artifact_dir: Path) -> str | None:
    try:
        meta = json.loads((artifact_dir / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("kind") != "release":
        return None
    name = (meta.get("params") or {}).get("model_name")
    return name if isinstance(name, str) and name.strip() else None


def run_server(
    path: Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    model_name: str | None = None,
    threads: int | None = None,
    device: str | None = None,
    precision: str | None = None,
    extra_hosts: tuple[str, ...] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_waiting: int = DEFAULT_MAX_WAITING,
    db: str | None = None,
    open_access: bool = False,
    policy: str | None = None,
    upstream: str | None = None,
    upstream_model: str | None = None,
    upstream_key_env: str | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    audit_retention_days: int | None = None,
    content_log_days: int | None = None,
    trace_data: Path | None = None,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    reranker: Path | None = None,
    also: tuple[AlsoModel, ...] = (),
    collections: Path | None = None,
    findings: Path | None = None,
    triage_group: str = DEFAULT_TRIAGE_GROUP,
    oidc: OidcSettings | None = None,
    workers: int = 1,
    tender_rules: tuple[Path, ...] = (),
    model_card: Path | None = None,
    upload_max_bytes: int | None = None,
    max_uploads: int = DEFAULT_MAX_UPLOADS,
    db_from_env: bool = False,
) -> None:
    """Load the model found at `path` (or connect to the `upstream` engine) and serve it until
    interrupted (blocking).

    The database and the port are checked before the model loads, so that a mistake in either
    is said at once and in our words, not after a minute of loading. With `workers` > 1 (an
    engine's gateway only), that many processes serve one socket and one database.
    `db_from_env`: `db` came from GEMEINGUT_DB, not --db (the start says so: a shell that
    exported it for `gemeingut admin` makes every request need a key)."""
    if (path is None) == (upstream is None):
        raise InputError(
            _("name either a model (PATH) or an engine (--upstream URL), not both or neither"),
            _("e.g. `gemeingut serve release/` or `gemeingut serve --upstream http://gpu:8000`"),
        )
    if upstream is not None:
        upstream = engine_address(upstream)  # `gpu:8000` would be an engine out of reach
    if open_access and db is not None:
        raise InputError(
            _("--no-auth and --db exclude each other: with --db every request needs a key"),
            _(
                "leave out --no-auth to serve with keys and an audit log, or --db (and "
                "GEMEINGUT_DB) to serve without"
            ),
        )
    hosts = allowed_hosts(host, extra_hosts)  # a name no request can match, said now
    if workers > 1 and (upstream is None or also):
        raise InputError(
            _("--workers {count} would load the model {count} times", count=workers),
            _(
                "several workers serve a gateway in front of an engine (--upstream); a model in "
                "this process batches its requests itself"
            ),
        )
    if collections is not None and not collections.is_dir():
        raise InputError(
            _("--collections {folder}: no such folder", folder=collections),
            _("make collections with `gemeingut rag ingest NAME FILES --root DIR`"),
        )
    if findings is not None and not findings.parent.is_dir():  # else each report a 400
        raise InputError(
            _(
                "--findings {path}: the folder {folder} does not exist",
                path=findings,
                folder=findings.parent,
            ),
            _(
                "create the folder first (mkdir -p {folder}) or name a file in one that exists",
                folder=findings.parent,
            ),
        )
    if upload_max_bytes is not None and collections is None:
        raise InputError(
            _("--upload-max-mb lets people add documents to collections: it needs --collections"),
            _("pass --collections DIR, or leave --upload-max-mb out"),
        )
    if upload_max_bytes is not None and collections is not None:
        UploadSlots(collections, max_uploads)  # a folder it cannot write to, said now
    if model_card is not None and upstream is None:
        raise InputError(
            _("--model-card names the folder of an engine's model: it needs --upstream"),
            _("a model served from its folder (PATH) is rated from that folder"),
        )
    placement = _placement(device, precision, upstream)
    model_dir = resolve_model_dir(path) if path is not None else None
    card_dir = resolve_model_dir(model_card, "--model-card") if model_card else None
    api_key = None
    if upstream_key_env is not None:
        api_key = secret_from_environment(
            upstream_key_env,
            _("export the upstream engine's API key in it (keys never go on the command line)"),
        )
    if content_log_days is not None and db is None:
        raise InputError(
            _("--content-log-days keeps what was asked and answered: it needs --db"),
            _("pass --db, or leave --content-log-days out (no content is kept by default)"),
        )
    if audit_retention_days is not None and db is None:
        raise InputError(
            _("--audit-retention-days deletes old audit records: it needs --db"),
            _("pass --db, or leave --audit-retention-days out (without --db there is no log)"),
        )
    if db is not None:
        _existing_database(db)
        # Said once it opened: a database that turns out missing is an error, not a promise.
        opened = partial(_say_database, db, db_from_env)
        audit_retention_days, content_log_days = _shared_periods(
            db, audit_retention_days, content_log_days, opened
        )
    if db is None and not open_access and not is_loopback(host):
        raise InputError(
            _(
                "serving on {host} without --db would let anyone who reaches it use the model, "
                "with no key and no audit log",
                host=host,
            ),
            _(
                "pass --db PATH (then create keys with `gemeingut admin keys create`), or "
                "--no-auth if a proxy in front of the server checks who calls"
            ),
        )
    if oidc is not None and db is None:
        raise InputError(
            _("signing in through an identity provider needs --db: it names the users"),
            _("pass --db, and add the people who may sign in with `gemeingut admin users add`"),
        )
    plan = AppPlan(
        model_dir=model_dir,
        path=path,
        model_name=model_name,
        upstream=upstream,
        upstream_model=upstream_model,
        api_key=api_key,
        placement=placement,
        threads=threads,
        hosts=hosts,
        max_body_bytes=max_body_bytes,
        max_waiting=max_waiting,
        db=db,
        content_log_days=content_log_days,
        audit_retention_days=audit_retention_days,
        policy=policy,
        oidc=oidc,
        oidc_key=secrets.token_bytes(32) if workers > 1 else None,
        collections=collections,
        findings=findings,
        triage_group=triage_group,
        trace_data=trace_data,
        reranker=reranker,
        also=also,
        tender_rules=tender_rules,
        card_dir=card_dir,
        upload_max_bytes=upload_max_bytes,
        max_uploads=max_uploads,
    )
    loaded = plan.load()  # each a check before the model loads: provider, policy, database,
    # the tender rules
    checked: list[Backend] = []
    if workers > 1:  # the engine too: a worker that cannot reach it would be restarted forever
        checked.append(
            _backend(None, None, model_name, upstream, upstream_model, api_key, placement)
        )
        checked[0].close()
    tidied = loaded.gateway.engine if loaded.gateway is not None else None
    if tidied is not None:
        from gemeingut.serve.gateway.retention import keep_tidy

        stop_tidying = keep_tidy(tidied)  # once
    # Connections are bounded, idle ones closed after KEEP_ALIVE_SECONDS (limits.py), and ones
    # whose headers take longer than `header_timeout` closed too (connections.py); each worker
    # bounds its own. No access log: it would write every client's address, which the audit
    # log leaves out. uvicorn's own lines ("INFO: Started server process …", its supervisor's
    # "Child process … died") are English and repeat ours: warnings and errors only; which
    # worker died and was replaced the supervisor says in our words (`_serve_workers`). HTTP
    # is parsed by httptools (connections.py); the loop is uvloop, which uvicorn's
    # `loop="auto"` takes where it is installed.
    options = {
        "log_level": "warning",
        "access_log": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "http": bounded_protocol(header_timeout, max_connections),
    }
    sock = bind_socket(host, port)
    # `--port 0`: the one the system chose, and 0 as asked, which a restart is known by
    plan = replace(plan, port=sock.getsockname()[1], port_asked=port)
    try:
        url = _url(host, sock)
        if workers == 1:
            app = build_app(plan, loaded)
            _announce([model.backend for model in app.state.models.values()], url)
            _serve(app, options, sock, url)
        else:
            _announce(checked, url)
            del loaded  # each worker loads its own; the parent keeps the retention thread's
            _serve_workers(partial(_worker_app, plan), workers, options, sock, url)
    finally:
        sock.close()
        # The workers have closed theirs (the app's shutdown); the last connection closed
        # removes SQLite's write-ahead log. A single process closed it in its app's shutdown
        # (uvicorn ends it with the signal that stopped it, before this line).
        if tidied is not None:
            stop_tidying.set()
            tidied.dispose()


@dataclass(frozen=True)
class Loaded:
    """What the parent process checks by loading it, and a single process then serves with."""

    policy: Policy | None
    gateway: Gateway | None
    provider: OidcProvider | None
    openness: ModelOpenness | None  # computed from the model's files, before it loads
    tender_rules: list[Rule]  # the shipped ones and the office's own (`--tender-rules`)
    card: ModelCardText | None = None  # the model's README.md (behind --upstream: --model-card's)


@dataclass(frozen=True)
class AppPlan:
    """Everything the app is built from, as plain values: a worker process of `serve --workers`
    is handed this and builds its own app (backend, database engine, policy) from it."""

    model_dir: Path | None
    path: Path | None
    model_name: str | None
    upstream: str | None
    upstream_model: str | None
    api_key: str | None
    placement: Placement
    threads: int | None
    hosts: frozenset[str] | None
    max_body_bytes: int
    max_waiting: int
    db: str | None
    content_log_days: int | None
    audit_retention_days: int | None
    policy: str | None
    oidc: OidcSettings | None
    oidc_key: bytes | None = field(repr=False)
    collections: Path | None
    findings: Path | None
    triage_group: str
    trace_data: Path | None
    reranker: Path | None
    also: tuple[AlsoModel, ...]
    tender_rules: tuple[Path, ...] = ()
    card_dir: Path | None = None  # behind --upstream: the folder named as the engine's model
    upload_max_bytes: int | None = None  # people add documents to their collections (None: no)
    max_uploads: int = DEFAULT_MAX_UPLOADS  # uploads read and embedded at once, all processes
    port: int | None = None  # the one listened on, for the record (set once it is bound)
    port_asked: int | None = None  # `--port`, for the record: a `--port 0` binds another

    def load(self) -> Loaded:
        from gemeingut.apps.assistants.rulefile import load_rules
        from gemeingut.serve.gateway.gate import Gateway
        from gemeingut.serve.gateway.store import open_store

        return Loaded(
            policy=Policy.load(self.policy) if self.policy is not None else None,
            gateway=Gateway(open_store(self.db), self.content_log_days) if self.db else None,
            provider=discover(self.oidc, self.oidc_key) if self.oidc is not None else None,
            openness=self._openness(),
            tender_rules=load_rules(list(self.tender_rules)),
            card=model_card(folder) if (folder := self.model_dir or self.card_dir) else None,
        )

    def _openness(self) -> ModelOpenness | None:
        if self.model_dir is not None:
            return model_openness(self.model_dir)
        return card_openness(self.card_dir) if self.card_dir is not None else None


def build_app(plan: AppPlan, loaded: Loaded | None = None) -> FastAPI:
    """The app: the backend (the model loads here) and all that serves around it. A worker
    loads the policy, database and provider again, which its parent has checked.

    The process registers with its gateway first (`leases.register_before_loading`): a
    pseudonym key replaced since the process read it stops the start here (`KeyReplaced`),
    before the model loads, and one asked for while the model loads is refused. A start that
    fails after registering unregisters again."""
    loaded = loaded or plan.load()
    gateway = loaded.gateway
    if gateway is None:
        return _app(plan, loaded)
    from gemeingut.serve.gateway.leases import register_before_loading

    register_before_loading(gateway.leases)
    try:
        return _app(plan, loaded)
    except BaseException:
        gateway.close()
        raise


def _app(plan: AppPlan, loaded: Loaded) -> FastAPI:
    if plan.threads is not None:
        import torch

        torch.set_num_threads(plan.threads)
    backend = _backend(
        plan.model_dir,
        plan.path,
        plan.model_name,
        plan.upstream,
        plan.upstream_model,
        plan.api_key,
        plan.placement,
    )
    model_dir = plan.model_dir or plan.card_dir
    return create_app(
        backend,
        plan.hosts,
        plan.max_body_bytes,
        plan.max_waiting,
        loaded.gateway,
        policy=loaded.policy,
        openness=loaded.openness,
        audit_retention_days=plan.audit_retention_days if plan.db is not None else None,
        collections=plan.collections,
        findings=FindingsDesk(plan.findings, plan.triage_group) if plan.findings else None,
        trace=_trace_index(plan.trace_data, backend),
        audit=model_audit(model_dir) if model_dir is not None else None,
        card=loaded.card,
        reranker=Reranker(plan.reranker) if plan.reranker is not None else None,
        also=tuple(_entry(other, plan.placement) for other in plan.also),
        oidc=loaded.provider,
        tender_rules=loaded.tender_rules,
        upload_max_bytes=plan.upload_max_bytes,
        max_uploads=plan.max_uploads,
        port=plan.port,
        port_asked=plan.port_asked,
    )


def _worker_app(plan: AppPlan) -> FastAPI:
    """A worker's app; a worker that cannot build it (the engine went away since the start,
    its pseudonym key was replaced) says why and what to do, and ends with uvicorn's start-up
    failure code, which stops the server (`_serve_workers`) instead of restarting the worker
    without end."""
    from uvicorn.config import STARTUP_FAILURE

    try:
        app = build_app(plan)
    except InputError as error:
        log.error("%s", error)
        sys.exit(STARTUP_FAILURE)
    _freeze_start_up()
    return app


def _serve(app: FastAPI, options: dict[str, Any], sock: socket.socket, url: str | Message) -> None:
    """Serve until stopped; „ready“ is said once a request is answered (`ready.py`)."""
    import uvicorn

    from gemeingut.serve.ready import ReadyServer

    _freeze_start_up()
    ReadyServer(uvicorn.Config(app, **options), url).run(sockets=[sock])


def _freeze_start_up() -> None:
    """What start-up made (modules, the app, the policy) lives as long as the process: frozen,
    the collector's full passes no longer walk its ~300,000 objects, each pass stopping the
    event loop and all its streams (docs/benchmarks.md, the gateway's garbage collection).
    Each process freezes its own once its app is built: a worker of `--workers` is spawned,
    so its parent's freeze does not reach it."""
    gc.collect()  # what start-up left as garbage is freed, not kept for good
    gc.freeze()


def _serve_workers(
    app: Callable[[], FastAPI],
    workers: int,
    options: dict[str, Any],
    sock: socket.socket,
    url: str | Message,
) -> None:
    """`workers` processes accept on the one socket, each with its own app and event loop;
    uvicorn's supervisor starts them, replaces one that dies and stops them all on Ctrl+C. The
    metrics of all of them are written to one folder, so that any of them can report the sum.
    „Ready“ is said once the first worker has started (`ready.py`): it takes what the socket
    accepted meanwhile."""
    import uvicorn
    from prometheus_client.multiprocess import mark_process_dead
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess
    from uvicorn.supervisors.multiprocess import Process

    from gemeingut.serve.ready import say_ready

    class Supervisor(Multiprocess):
        """uvicorn's, which also drops the queue gauge of each worker it has replaced or
        stopped (a dead one, or on SIGHUP and SIGTTOU), and says in the server's language
        which worker died and which replaced it (uvicorn's own lines are English). A worker
        that could not start at the server's start stops them all, as uvicorn's does, and is
        kept in `failed`: the server then ends with an error, not as if stopped on purpose.
        A replacement that cannot start (its key file moved away since, the engine gone)
        must not take the healthy workers down with it, as uvicorn's would: its place stays
        empty and is tried again after a pause that doubles up to `LONGEST_PAUSE`."""

        failed: tuple[int, ...] = ()
        ready = False  # „ready“ said

        def init_processes(self) -> None:
            super().init_processes()
            self.first = {process.pid for process in self.processes}
            self.pauses: dict[int, int] = {}  # a place whose last start failed: its pause
            self.due: dict[int, float] = {}  # an empty place: when it is tried again

        def keep_subprocess_alive(self) -> None:
            if self.should_exit.is_set():
                return
            for place, process in enumerate(self.processes):
                if process.exitcode is not None and place in self.due:
                    if time.monotonic() >= self.due[place]:
                        del self.due[place]
                        self._start(place)
                    continue
                self.due.pop(place, None)  # filled meanwhile (SIGHUP, SIGTTIN)
                if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    if place in self.pauses and process.is_ready(timeout=1):
                        del self.pauses[place]  # started at last: the next pause is short
                    continue
                process.kill()  # hung, or gone
                process.join()
                if process.pid is not None:
                    mark_process_dead(process.pid)
                if process.exitcode == STARTUP_FAILURE:
                    if process.pid in self.first:  # the app cannot start at all
                        self.failed = tuple(
                            p.pid
                            for p in self.processes
                            if p.exitcode == STARTUP_FAILURE and p.pid in self.first
                        )
                        self.should_exit.set()
                        return
                    self._wait(place, process.pid)
                    continue
                new = self._start(place)
                said = _(
                    "server process {pids} ended unexpectedly; replaced by {new}",
                    pids=str(process.pid),
                    new=str(new),
                )
                log.warning("%s", text(said))
            if not self.ready and any(p.is_ready(timeout=1) for p in self.processes):
                say_ready(url)
                self.ready = True

        def _start(self, place: int) -> int | None:
            process = Process(self.config, self.sockets)
            process.start()
            self.processes[place] = process
            return process.pid

        def _wait(self, place: int, pid: int | None) -> None:
            """Leave `place` empty for a pause, twice the last one, and say so."""
            last = self.pauses.get(place)
            pause = FIRST_PAUSE if last is None else min(2 * last, LONGEST_PAUSE)
            self.pauses[place] = pause
            self.due[place] = time.monotonic() + pause
            serving = sum(p.exitcode is None for p in self.processes)
            said = _(
                "server process {pid} could not start in place of one that ended; {serving} "
                "of {workers} serve on, the place is tried again in {seconds} s",
                pid=str(pid),
                serving=serving,
                workers=len(self.processes),
                seconds=pause,
            )
            log.error("%s", text(said))

        def handle_signals(self) -> None:
            """uvicorn's, then the queue gauge of each worker it ended (SIGHUP, SIGTTOU) dropped."""
            before = {process.pid for process in self.processes}
            super().handle_signals()
            for pid in before - {process.pid for process in self.processes}:
                if pid is not None:
                    mark_process_dead(pid)

    with (
        tempfile.TemporaryDirectory(prefix="gemeingut-metrics-") as metrics,
        # Before the workers import prometheus_client; they speak the parent's language
        # (`--lang`, which the environment of a spawned worker does not say otherwise).
        _environment({MULTIPROCESS_DIR: metrics, "GEMEINGUT_LANG": current_language()}),
    ):
        # uvicorn kills a worker that does not answer its supervisor's ping within 5 s;
        # a worker busy under a load peak on a few cores can miss that, and its killing
        # drops every stream it serves. A worker silent for 30 s is hung.
        config = uvicorn.Config(
            app, factory=True, workers=workers, timeout_worker_healthcheck=30, **options
        )
        supervisor = Supervisor(config, sockets=[sock])
        supervisor.run()
    if supervisor.failed:
        raise InputError(
            plural(
                len(supervisor.failed),
                _(
                    "server process {pids} could not start, so every server process stopped",
                    pids=", ".join(map(str, supervisor.failed)),
                ),
                _(
                    "server processes {pids} could not start, so every server process stopped",
                    pids=", ".join(map(str, supervisor.failed)),
                ),
            ),
            _("the lines above say why and what to do; then start the server again"),
        )


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in this process's environment (which the workers it starts inherit), and
    what was there before again afterwards."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _backend(
    model_dir: Path | None,
    path: Path | None,
    model_name: str | None,
    upstream: str | None,
    upstream_model: str | None,
    api_key: str | None,
    placement: Placement,
) -> Backend:
    if upstream is not None:
        from gemeingut.serve.backends import EngineUnavailable, UpstreamBackend

        try:
            return UpstreamBackend(upstream, model_name, upstream_model, api_key)
        except EngineUnavailable as failed:
            raise InputError(
                failed.args[0] if failed.args else str(failed),
                _("check --upstream and that the engine runs"),
            ) from None
    from gemeingut.serve.backends.encoder import local_backend

    assert model_dir is not None and path is not None
    name = model_name or default_model_name(path)
    return local_backend(model_dir, name, **placement.backend_options())


def _existing_database(db: str) -> None:
    """A mistyped --db would become a new, empty database (and folders) that knows no key, and
    every request a 401: serving needs the database the admin commands made."""
    from gemeingut.serve.gateway.store import database_url

    url = database_url(db)
    file = Path(url.removeprefix("sqlite:///"))
    if not url.startswith("sqlite:///") or file.is_file():
        return
    if file.is_dir():  # nor could the admin commands make a database there
        raise InputError(
            _("--db {path} is a folder, not a database", path=db),
            _("name the database file, as the admin commands were given it with --db"),
        )
    if not file.parent.is_dir():  # the admin commands would not make it there either
        raise InputError(
            _(
                "--db {path}: no such database; its folder {folder} does not exist",
                path=db,
                folder=str(file.parent),
            ),
            _("check the path"),
        )
    raise InputError(
        _("--db {path}: no such database", path=db),
        _(
            "check the path; a new database is made with its first group or user: "
            "`gemeingut admin groups add NAME --db {path}`",
            path=db,
        ),
    )


def _say_database(db: str, from_env: bool, key: Path | None = None) -> None:
    """Which database serves the keys (and that GEMEINGUT_DB named it), and a warning where the
    SQLite file may be read by others: it holds the key hashes, the user names and the audit log;
    so may the pseudonym `key` file, which ties the log's pseudonyms to those names."""
    from gemeingut.serve.gateway.store import shown_database

    shown = shown_database(db)
    said = (
        _(
            "database {db} (from GEMEINGUT_DB): every request needs one of its keys "
            "(`unset GEMEINGUT_DB` for a server without keys)",
            db=shown,
        )
        if from_env
        else _("database {db}: every request needs one of its keys", db=shown)
    )
    print(text(said), file=sys.stderr, flush=True)
    mode = readable_by_others(db)
    if mode is not None:
        warning = _(
            "the database {path} may be read by other users of this machine (permissions "
            "{mode}), but it holds the key hashes, the user names and the audit log: make it "
            "private with chmod 600 {path}",
            path=shown,
            mode=mode,
        )
        print(text(warning), file=sys.stderr, flush=True)
    key_mode = _mode_for_others(key) if key is not None else None
    if key_mode is not None:
        warning = _(
            "the pseudonym key {path} may be read by other users of this machine (permissions "
            "{mode}): whoever reads it and has a copy of the database can tie the audit log's "
            "pseudonyms to names; make it private with chmod 600 {path}",
            path=str(key),
            mode=key_mode,
        )
        print(text(warning), file=sys.stderr, flush=True)


def _mode_for_others(path: Path) -> str | None:
    """A file's permissions (`0644`) where its group or others may use it; None otherwise
    (also where it is gone)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    return f"{mode:04o}" if mode & 0o077 else None


def readable_by_others(db: str) -> str | None:
    """The permissions (`0644`) of a SQLite database file that its group or others may use;
    None for a private file or a database server (its roles decide there)."""
    from gemeingut.serve.gateway.store import database_url

    url = database_url(db)
    if not url.startswith("sqlite:///"):
        return None
    return _mode_for_others(Path(url.removeprefix("sqlite:///")))


def _shared_periods(
    db: str, audit_days: int | None, content_days: int | None, opened: Callable[[Path | None], None]
) -> tuple[int | None, int | None]:
    """The audit retention and content logging stored for every server of the database (a
    value given that differs is refused, one not stored yet is stored); the stored ones this
    start did not name are said on stderr, so that the operator sees what applies, after
    `opened` (called once the database opened), and so is what logged content keeps of
    personal data."""
    from gemeingut.serve.gateway.content_privacy import content_kept_said, redacted_kinds
    from gemeingut.serve.gateway.retention import (
        AUDIT_DAYS,
        CONTENT_DAYS,
        agree_retention,
        days_said,
    )
    from gemeingut.serve.gateway.store import open_store, pseudonym_key_file

    engine = open_store(db)
    opened(pseudonym_key_file(engine))
    try:
        agreed = agree_retention(engine, audit_days, content_days)
        _say_unprotected(engine, agreed.audit_days)
        kept = redacted_kinds(engine) if agreed.content_days is not None else None
    finally:
        engine.dispose()
    if audit_days is None and agreed.audit_days is not None:
        said = _(
            "audit retention: {days}, as stored in the database for all of its servers "
            "(`gemeingut admin audit retention` changes it)",
            days=days_said(AUDIT_DAYS, str(agreed.audit_days)),
        )
        print(text(said), file=sys.stderr, flush=True)
    if content_days is None and agreed.content_days is not None:
        said = _(
            "content logging: on, kept {days}, as stored in the database for all of its "
            "servers (`gemeingut admin content retention` changes it)",
            days=days_said(CONTENT_DAYS, str(agreed.content_days)),
        )
        print(text(said), file=sys.stderr, flush=True)
    if kept is not None:  # what a data-protection officer asks next: what of people it keeps
        print(text(content_kept_said(kept)), file=sys.stderr, flush=True)
    return agreed.audit_days, agreed.content_days


def _say_unprotected(engine: Engine, audit_days: int | None) -> None:
    """What the operator may not know was left as it is by default: a pseudonym key kept in
    the database (PostgreSQL without `GEMEINGUT_PSEUDONYM_KEY`), where a copy of the database
    ties the audit log to names; an audit log kept without end."""
    from gemeingut.serve.gateway.pseudonym_key import KEY_FILE_ENV
    from gemeingut.serve.gateway.store import pseudonym_key_file

    if pseudonym_key_file(engine) is None:
        said = _(
            "the pseudonym key is kept in the database itself: whoever has a copy of it can "
            "tie the audit log to names; to keep it apart, stop every server of this database "
            "and start them with {variable} naming a file (the first start moves the key there)",
            variable=KEY_FILE_ENV,
        )
        print(text(said), file=sys.stderr, flush=True)
    if audit_days is None:
        said = _(
            "audit retention: none, the audit log is kept without end "
            "(`gemeingut admin audit retention` or --audit-retention-days sets it)"
        )
        print(text(said), file=sys.stderr, flush=True)


def _url(host: str, sock: socket.socket) -> str | Message:
    """Where the server is reached: on all interfaces (0.0.0.0, ::) no client can use the
    address it listens on, so an address by this machine's name, and that the port is open on
    every interface."""
    port = sock.getsockname()[1]
    if _all_interfaces(host):
        return _(
            "{url} (port {port} is open on all network interfaces of this machine)",
            url=f"http://{socket.gethostname()}:{port}",
            port=str(port),
        )
    return f"http://[{host.strip('[]')}]:{port}" if ":" in host else f"http://{host}:{port}"


def _all_interfaces(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _announce(backends: list[Backend], url: str | Message) -> None:
    """One line per model on stderr before serving, whatever the log level: which model, what
    runs it, on which device at which precision with how many threads, and where to reach it
    (the operator's check that the GPU, or bf16, is really used)."""
    for backend in backends:
        print(text(_served_line(backend, url)), file=sys.stderr, flush=True)


def _served_line(backend: Backend, url: str | Message) -> Message:
    engine = getattr(backend, "base_url", None)
    if engine is not None:
        return _(
            "model {name}: engine {engine} (--upstream; device and precision are the "
            "engine's), served at {url}",
            name=backend.model_name,
            engine=engine,
            url=url,
        )
    import torch

    threads = torch.get_num_threads()
    device = str(getattr(backend, "device", "?"))
    precision = str(getattr(backend, "precision", "?"))
    return plural(
        threads,
        _(
            "model {name}: transformers on {device}, {precision}, 1 thread, served at {url}",
            name=backend.model_name,
            device=device,
            precision=precision,
            url=url,
        ),
        _(
            "model {name}: transformers on {device}, {precision}, {threads} threads, served "
            "at {url}",
            name=backend.model_name,
            device=device,
            precision=precision,
            threads=threads,
            url=url,
        ),
    )


ALSO_EXAMPLE = _("e.g. --also {example}", example="qwen=releases/qwen2")
# A model name's characters that no request can carry as `model`: control characters and
# line breaks (no one types them), lone surrogates (not UTF-8: what a command line that is
# not UTF-8 gives).
UNSENDABLE = ("Cc", "Cs", "Zl", "Zp")


@dataclass(frozen=True)
class AlsoModel:
    """A model of `--also`: the name the API lists it by, and where it is."""

    name: str
    path: Path


def also_models(
    values: tuple[str, ...], path: Path | None, model_name: str | None
) -> tuple[AlsoModel, ...]:
    """The models of `--also PATH` (named as PATH of `serve PATH` is: `default_model_name`) or
    `--also NAME=PATH`, checked before any model loads: each folder holds a model, and no two
    models share a name (the first's is known here unless an engine names it)."""
    models = tuple(_also_model(value) for value in values)
    for model in models:
        if any(unicodedata.category(char) in UNSENDABLE for char in model.name):
            raise InputError(
                _(
                    "--also: the model name {name!r} holds a control character or one that is "
                    "not text, which no client can send as `model`",
                    name=model.name,
                ),
                _("name the model with text on one line: --also NAME=PATH"),
            )
    first = model_name or (default_model_name(path) if path is not None else None)
    names = [first, *(model.name for model in models)]
    for index, name in enumerate(names):
        if name is not None and name in names[:index]:
            raise InputError(_("two models are called {name!r}", name=name), SAME_NAME_HINT)
    return models


def _also_model(value: str) -> AlsoModel:
    """One `--also` value. It is NAME=PATH where the part before its first `=` holds no `/`:
    a folder whose name holds `=` is written `./…`. Spaces around NAME and PATH are left out
    (`--also " klein = ./modell"` names `klein`): a client names the model without them."""
    whole = Path(value.strip())
    if not value.strip():
        raise InputError(_("--also names no model: expected PATH or NAME=PATH"), ALSO_EXAMPLE)
    name, named, where = (part.strip() for part in value.partition("="))
    if not named or "/" in name:
        resolve_model_dir(whole)
        return AlsoModel(default_model_name(whole), whole)
    if not name or not where:
        raise InputError(
            _("--also '{value}': expected PATH or NAME=PATH", value=value), ALSO_EXAMPLE
        )
    if not Path(where).exists():
        raise InputError(
            _("--also {value}: {path} does not exist", value=value, path=where),
            _(
                "--also NAME=PATH serves the model at PATH as NAME; a folder whose name holds "
                '"=" is written as ./{value}',
                value=value,
            ),
        )
    resolve_model_dir(Path(where))
    return AlsoModel(name, Path(where))


def _entry(also: AlsoModel, placement: Placement) -> ModelEntry:
    """Another model to serve beside the first, in this process."""
    from gemeingut.serve.backends.encoder import local_backend

    model_dir = resolve_model_dir(also.path)
    backend = local_backend(model_dir, also.name, **placement.backend_options())
    return ModelEntry(
        backend, model_openness(model_dir), model_audit(model_dir), model_card(model_dir)
    )


@dataclass(frozen=True)
class Placement:
    """Where this process runs its models (`--device`) and at which precision (`--precision`)."""

    device: str
    precision: str

    def backend_options(self) -> dict[str, str]:
        return {"device": self.device, "precision": self.precision, "device_setting": "--device"}


def _placement(device: str | None, precision: str | None, upstream: str | None) -> Placement:
    """The checked `--device` and `--precision`, before the model loads: a GPU asked for on a
    machine without one is said at once. An engine (`--upstream`) places its own model."""
    if upstream is not None and (device is not None or precision is not None):
        raise InputError(
            _("--device and --precision place a model of this process; the engine places its own"),
            _("leave them out with --upstream, or set them where the engine starts"),
        )
    for option, value, allowed in (
        ("--device", device, DEVICES),
        ("--precision", precision, PRECISIONS),
    ):
        if value is not None and value not in allowed:
            raise InputError(
                _("{option} {value}: no such choice", option=option, value=value),
                _("choose one of {choices}", choices=", ".join(allowed)),
            )
    placement = Placement(device or "auto", precision or "fp32")
    if upstream is None:
        from gemeingut.model.machine import resolve_device

        resolve_device(placement.device, setting="--device")  # a missing GPU, said now
    return placement


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or an `InputError` saying why there is none.

    Its protocol is named (TCP), because asyncio turns off Nagle's algorithm (TCP_NODELAY)
    only on connections of such a socket: without it every answer on a kept-alive connection,
    whose headers and body go out as two writes, waited ~40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise InputError(
                _("port {port} on {host} is already in use", port=str(port), host=host),
                _("stop the other server or choose another port with --port"),
            ) from None
        raise InputError(
            _(
                "cannot listen on {host}:{port}: {reason}",
                host=host,
                port=str(port),
                reason=error.strerror,
            ),
            _("check --host (an address of this machine) and --port (1024-65535 without root)"),
        ) from None
    sock.set_inheritable(True)
    return sock


def _expected() -> Message:
    return _("expected {layouts}", layouts="; ".join(text(d) for _path, d in LAYOUTS))


def _trace_index(trace_data: Path | None, backend: Backend) -> TraceIndex | None:
    """The span index of the training documents under `trace_data`, built before serving."""
    if trace_data is None:
        return None
    from gemeingut.audit.subject import training_files
    from gemeingut.serve.trace_route import build_trace_index

    log.info("%s", text(_("indexing the training data in {path} for /v1/trace", path=trace_data)))
    return build_trace_index(training_files(trace_data), backend)
