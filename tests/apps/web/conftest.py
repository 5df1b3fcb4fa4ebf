"""A real browser for the page: Debian's chromium driven by Playwright (its own browser download
cannot work offline), and axe-core from npm, injected from the local copy `make test` installs
(.cache/axe); without either the tests are skipped with the reason. The site: the tiny model
behind a gateway with two users, a collection, findings, an audit, a trace index and an
organisation's identity provider, each on loopback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gemeingut.apps.rag.index import ingest
from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from gemeingut.serve.findings_routes import FindingsDesk
from gemeingut.serve.gateway.gate import Gateway
from gemeingut.serve.gateway.identity import add_group, add_user, create_key
from gemeingut.serve.gateway.store import open_store
from gemeingut.serve.model_audit import summarise
from gemeingut.serve.model_openness import model_openness
from gemeingut.serve.oidc import OidcSettings, discover
from gemeingut.serve.trace_route import build_trace_index
from tests.apps.rag.documents import write_pdf
from tests.http_server import running_server
from tests.serve.oidc_provider import CLIENT_ID, Provider, provider_app

AXE = Path(__file__).resolve().parents[3] / ".cache" / "axe" / "node_modules" / "axe-core"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Per module: Playwright's sync API holds an event loop in this thread while it runs, and
    later tests that start their own (asyncio.run) must not find it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


def axe_violations(page) -> list[dict]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it is now."""
    script = AXE / "axe.min.js"
    if not script.is_file():
        pytest.skip("axe-core is not installed (make test installs it into .cache/axe)")
    page.add_script_tag(path=str(script))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found["violations"]
    ]


TIMEOUT = 30_000  # ms
UPLOAD_LIMIT = 2 * 1024 * 1024  # people of the collection's groups add documents on the page
AUDIT_REPORT = {  # the shape of audit/report.json, with made-up numbers
    "tasks": {"tasks": {"gg_lesen": {
        "what": {"de": "Leseverstehen", "en": "reading comprehension"}, "kind": "multiple_choice",
        "items": 4, "metrics": {"acc": {"value": 0.625, "stderr": 0.05}}}}},
    "bias": {"categories": {  # flagged where the share's interval excludes 50 %, either way
        "age": {"flagged": False, "prefers_stereotype": {"value": 0.5, "low": 0.4, "high": 0.6}},
        "disability": {
            "flagged": True, "prefers_stereotype": {"value": 0.23, "low": 0.15, "high": 0.35}},
        "gender": {
            "flagged": True, "prefers_stereotype": {"value": 0.7, "low": 0.6, "high": 0.8}}}},
    "redteam": {"probes": 60, "categories": {
        "jailbreak": {"detector": "refusal", "attack_success": {"value": 0.5, "n": 40}},
        "pii_elicitation": {"detector": "pii", "attack_success": {"value": 0.0, "n": 20}}}},
    "memorisation": {"samples": 20, "exact": {"value": 0.05},
                     "personal_data": {"baiting_prompts": {"with_personal_data": {"value": 0.0}}}},
}  # fmt: skip
# the task's items as the audit keeps them (audit/tasks/): 4, 4, 2 and 2 choices
TASK_ITEMS = [{"query": "Frage", "choices": [" a"] * n, "gold": 0} for n in (4, 4, 2, 2)]
TRAINING_DOCUMENT = {
    "id": "bgb-1",
    "text": "Die Rechtsfähigkeit des Menschen beginnt mit der Vollendung der Geburt.",
    "license": "CC0-1.0",
    "source": "gesetze",
}


def guide_collection(root: Path, groups: list[str] | None = None) -> Path:
    """The collections folder under `root`, holding `vergabe`: the two-page guide PDF
    (`akten/leitfaden.pdf`) that the page's answers and citations are tested on."""
    docs = root / "akten"
    docs.mkdir()
    write_pdf(docs / "leitfaden.pdf")
    ingest(root / "collections", "vergabe", [docs], groups=groups)
    return root / "collections"


@pytest.fixture(scope="module")
def site(long_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("web")
    guide_collection(root, groups=["einkauf"])
    engine = open_store(str(root / "gateway.db"))
    add_group(engine, "einkauf")
    add_group(engine, "triage")
    add_user(engine, "eva", ("einkauf",))
    add_user(engine, "tom", ("triage",))
    key = create_key(engine, "eva")[1]
    desk = FindingsDesk(root / "findings.jsonl")
    backend = TransformersBackend(long_model_dir, model_name="winzig")
    tasks = root / "audit" / "tasks"
    tasks.mkdir(parents=True)
    lines = "".join(json.dumps(item) + "\n" for item in TASK_ITEMS)
    (tasks / "gg_lesen.jsonl").write_text(lines, encoding="utf-8")
    corpus = root / "train.jsonl"
    corpus.write_text(json.dumps(TRAINING_DOCUMENT) + "\n", encoding="utf-8")
    provider = Provider(user="eva")  # the organisation's identity provider, on loopback
    with running_server(provider_app(provider)) as issuer:
        provider.issuer = issuer
        app = create_app(
            backend,
            gateway=Gateway(engine),
            collections=root / "collections",
            upload_max_bytes=UPLOAD_LIMIT,
            findings=desk,
            openness=model_openness(long_model_dir),  # a folder that names no licence
            trace=build_trace_index((corpus,), backend),
            audit=summarise(AUDIT_REPORT, tasks),
            oidc=discover(
                OidcSettings(issuer=issuer, client_id=CLIENT_ID, user_claim="preferred_username")
            ),
        )
        with running_server(app) as url:
            yield {
                "url": url,
                "key": key,
                "triage_key": create_key(engine, "tom")[1],
                "engine": engine,
                "findings": desk.path,
            }


SEED = 1  # the chat's answers in the tests: the same in every run


def seeded_answers(context) -> None:
    """Every chat answer of the browser `context` drawn with `SEED`. The tiny random model ends
    an answer at once now and then (its end of text first: about one answer in a hundred), and
    the page offers no report of an answer without text: a test that reports an answer failed
    at random (once in CI). Seeded, a question has the same answer in every run."""

    def seeded(route) -> None:
        route.continue_(post_data=json.dumps({"seed": SEED, **route.request.post_data_json}))

    context.route("**/v1/chat/completions", seeded)


@pytest.fixture
def tab(browser) -> Iterator[object]:
    """A fresh German tab; the page's Content-Security-Policy is bypassed only so that axe-core
    can be injected (test_the_page_runs_under_its_content_security_policy keeps it)."""
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    seeded_answers(context)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    yield opened
    context.close()


@pytest.fixture
def page(tab, site: dict):
    """A fresh tab on the site's server."""
    return tab


def sign_in(page, site: dict, key: str | None = None) -> None:
    page.goto(site["url"] + "/")
    page.get_by_label("API-Schlüssel").fill(key or site["key"])
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Angemeldet. Modell: winzig").wait_for()


def look_inside(page, site: dict, text: str) -> None:
    """Signed in, the look inside's next tokens shown for `text`."""
    sign_in(page, site)
    page.get_by_role("button", name="Blick ins Modell").click()
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Nächstes Token zeigen").click()
    page.locator("#next li").first.wait_for()
