// The page's behaviour: sign in with a key, chat (streamed), search collections and read the
// source of a passage (the look inside is look-inside.js). Talks only to this server's own API.
"use strict";

const T = JSON.parse(document.getElementById("texts").textContent);
const $ = (id) => document.getElementById(id);
// A number with `digits` decimals as the page's language writes it (0,5 in German).
const decimal = (value, digits) =>
  value.toLocaleString(document.documentElement.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
// A limit of bytes in MiB, rounded down to a tenth: a file of the size said is taken.
const mibSaid = (bytes) => {
  const tenths = Math.floor((bytes / 1024 / 1024) * 10);
  return decimal(tenths / 10, tenths % 10 ? 1 : 0);
};
const fill = (template, values) =>
  template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
// The server's reason as a sentence (in a status line, or before the next one): its messages
// end without a full stop. No reason at all stays none.
const sentence = (text) => (!text.trim() || /[.!?…]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);
// The text `key` for `count`: its singular (`key_one`, texts.py) for exactly one, as German and
// English choose it, so that a count never reads "1 Dokumenten".
const counted = (key, count) => (count === 1 && `${key}_one` in T ? T[`${key}_one`] : T[key]);
// A value the API names in English (category "bias", status "new") in the page's language; a
// value the page has no name for (a category someone made up) as it is.
const named = (kind, value) => T[`${kind}_${value}`] ?? value;
// Bidirectional controls in text of other people or documents: an override (U+202E) shows
// "evil" as "live", and one never closed reorders the page's own words after it. Embeddings,
// overrides and isolates are shown as ⟨U+202E⟩ wherever such text is shown (left in, a stray
// closing one could end the isolation around it); the marks (U+200E, U+200F, U+061C) only
// where someone decides on the text (`all`: the triage), being harmless inside an isolate.
const BIDI_EMBEDDING = /[\u202A-\u202E\u2066-\u2069]/g;
const BIDI_ALL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const bidiShown = (text, all = false) => String(text).replace(all ? BIDI_ALL : BIDI_EMBEDDING, unicodeNumber);
// A character that shows nothing of itself, by its Unicode number: ⟨U+202E⟩.
function unicodeNumber(character) {
  return `⟨U+${character.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`;
}
// Such text in an element of its own (<bdi>), so that its direction never reorders the page's
// words around it; `fillIsolated` fills a template with each value so (as nodes).
const isolated = (text, all = false) =>
  Object.assign(document.createElement("bdi"), { textContent: bidiShown(text, all) });
const fillIsolated = (template, values, all = false) => template.split(/(\{\w+\})/)
  .map((part) => (/^\{\w+\}$/.test(part) && part.slice(1, -1) in values ? isolated(values[part.slice(1, -1)], all) : part));
const KEY = "gemeingut-key";  // in this tab's session storage: the key, never in a cookie
const CARRY = "gemeingut-carry";  // what the language switch hands to the page in the other language
const NOTICE = "gemeingut-notice";  // why the tab was signed out, for the page that loads afresh
// The last draft shown, for a reload of this tab: in its session storage, never in the local
// storage (a draft may be confidential: it goes when the tab is closed, and on signing out).
const DRAFT = "gemeingut-draft";
const state = { key: sessionStorage.getItem(KEY) || "", model: "" };
// Whether the server was started with document collections, a trace index, a findings file.
const has = (feature) => document.body.dataset[feature] === "yes";
// Whether the server asks for a key (it runs with a gateway).
const needsKey = () => document.body.dataset.needsKey === "yes";
// A key's public id (gg_<id>_<secret>), which the carry is tied to instead of the key itself;
// "" without a key (a server without a gateway).
const keyId = (key) => (key ? /^gg_([0-9a-f]+)_/.exec(key)?.[1] ?? null : "");

function headers() {
  const result = { "Content-Type": "application/json", "Accept-Language": document.documentElement.lang };
  if (state.key) result.Authorization = `Bearer ${state.key}`;
  return result;
}

async function api(path, body) {
  return call(path, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
}

// A request to this server with the key and language (`init` may name its own method, body and
// headers: a file's upload sends the file as it is), and its refusal as an error in words.
async function call(path, init) {
  const response = await fetch(path, { ...init, headers: { ...headers(), ...init.headers } });
  if (!response.ok) {
    let reason = response.statusText;
    let detail = {};
    try {
      detail = (await response.json()).error ?? {};
      reason = detail.message ?? reason;
    } catch (_) { /* not JSON */ }
    const error = new Error(labelled(reason, path));
    error.status = response.status;
    error.code = detail.code ?? null;  // "context_length_exceeded" …
    error.param = detail.param ?? null;  // which limit refused it: "tokens_per_day" …
    error.quota = detail.quota ?? null;  // and its numbers (a 429 `rate_limit_exceeded`)
    error.rule = detail.rule ?? null;  // the policy's rule that refused it (`content_policy_violation`)
    // a used-up limit, said in the page's words (the server's speak of max_tokens and
    // tokens_per_day, for a client that sets them); the server's where the page cannot tell
    if (response.status === 429 && error.code === "rate_limit_exceeded") {
      error.said = quotaSaid(detail, Number(response.headers.get("Retry-After")));
    }
    // A key that expired or was revoked while the page was open: back to the sign-in, saying
    // why, instead of failing every action from now on.
    if (response.status === 401 && !$("app").hidden) signOut(fill(T.session_ended, { reason: sentence(reason) }));
    throw error;
  }
  return response;
}

// The inputs each request's fields come from, by the API's names: a refusal that names a field
// ("question: may have at most 4,000 characters") names it as the page labels it ("Frage: …").
const FIELDS = [
  [/^\/v1\/collections\/[^/]+\/search$/, { query: "query" }],
  [/^\/v1\/collections\/[^/]+\/answer$/, { question: "query", model: "answer-model" }],
  [/^\/v1\/assist\/draft$/, { subject: "draft-subject", audience: "draft-audience", occasion: "draft-occasion", minutes: "draft-minutes", points: "draft-points" }],
  [/^\/v1\/assist\/tender$/, { text: "tender-text", file: "tender-file" }],
];

// The server's `field: problem` (several joined by "; ") with each field of `path`'s request
// named by its label on the page; a field the page does not show keeps the API's name.
function labelled(message, path) {
  const fields = FIELDS.find(([pattern]) => pattern.test(path.split("?")[0]))?.[1] ?? {};
  return message.split("; ").map((part) => {
    const at = part.indexOf(": ");
    const name = part.slice(0, at);
    const label = at > 0 && Object.hasOwn(fields, name) ? document.querySelector(`label[for="${fields[name]}"]`) : null;
    return label ? `${label.textContent.trim()}: ${part.slice(at + 2)}` : part;
  }).join("; ");
}

// What went wrong, in words: a request the server refused (4xx: the input, a right, a limit)
// plainly; only the server's own failure or a lost connection as "something went wrong".
function failed(error) {
  if (error.said) return error.said;
  const refused = error.status >= 400 && error.status < 500;
  return fill(refused ? T.refused : T.error, { reason: sentence(reason(error)) });
}

// A request's failure in its status line. A refusal by a rule of the policy is said in the
// policy's own words (the rule's title, id and why), with a link to the rule on the policy
// view: the server's message ends in "GET /v1/policy", which says nothing to a person.
function sayFailed(status, error) {
  const refused = error.code === "content_policy_violation" && error.rule;
  if (!refused) {
    status.textContent = failed(error);
    return;
  }
  const said = policyRead ?? readPolicy();
  said.then((policy) => policy.rules.find((rule) => rule.id === error.rule)).catch(() => null).then((rule) => {
    // the rule in the page's words; where the policy cannot be read now, the server's
    const reason = rule ? refusedBy(rule) : failed(error);
    status.replaceChildren(reason, " ", ruleLink(error.rule));
  });
}

// A refusal by `rule` in the policy's own words: its title (the name the policy view shows it
// under) and its id, and why; a rule without a title (an older policy file) by its id alone.
function refusedBy(rule) {
  const values = { rule: rule.id, text: sentence(inLanguage(rule.text)) };
  if (!rule.title) return fill(T.policy_refused_by_id, values);
  return fill(T.policy_refused, { ...values, title: inLanguage(rule.title) });
}

// Which limit refused a request (a 429 `rate_limit_exceeded`) and whether waiting helps, in words,
// from the 429's own fields: `param` names the limit, `quota` whose kind of limit it is and its
// numbers. null where they do not tell (then the server's own words are shown).
function quotaSaid(detail, retryAfter) {
  const quota = detail.quota;
  if (!quota) return null;
  const number = (value) => decimal(value, 0);
  const limit = number(quota.limit);
  if (detail.param === "requests_per_minute") {
    return quota.limit ? fill(T.quota_minute, { limit, seconds: retryAfter }) : T.quota_no_requests;
  }
  if (detail.param === "concurrent_streams") {
    return quota.limit ? fill(T.quota_streams, { limit }) : T.quota_no_streams;
  }
  if (detail.param !== "tokens_per_day") return null;
  const values = { allowance: allowanceNamed(quota), taken: number(quota.used + quota.reserved), limit };
  if (!quota.limit) return fill(T.quota_day_none, values);
  return fill(quota.waiting_helps ? T.quota_day_wait : T.quota_day_never, values);
}

// Whose daily allowance a 429's `quota` is: a group's total that its members share, or the
// caller's own (a limit per member is the caller's own too).
function allowanceNamed(quota) {
  return quota.whose === "group" ? fill(T.quota_group, { group: quota.group }) : T.quota_own;
}

// --- an answer the daily allowance still holds ------------------------------------------------
// The server reserves the prompt and the longest answer (max_tokens) before it generates. Where
// the allowance cannot hold the chat's answer, but holds the prompt and a useful answer, the
// page asks again for the answer it holds, computed from the refusal's own numbers, as the
// server does for an answer from documents and a draft's parts (apps/assistants/allowance.py):
// the server's reservation decides each time.
// fewer answer tokens are no useful answer: the refusal stands (the server's figure, page.py)
const LEAST_ANSWER = Number(document.body.dataset.leastAnswer);

// The answer tokens the daily allowance still holds beside the prompt, from its refusal of
// `asked` of them: what is left (limit − used − reserved) less the prompt (what the request
// needed besides the answer). null where that is fewer than LEAST_ANSWER, or where a shorter
// answer would not help.
function answerThatFits(error, asked) {
  const quota = error.quota;
  if (error.code !== "rate_limit_exceeded" || error.param !== "tokens_per_day" || !quota) return null;
  const prompt = quota.requested - asked;
  const fits = quota.limit - quota.used - quota.reserved - prompt;
  return fits >= LEAST_ANSWER && fits < asked ? fits : null;
}

// `ask(tokens)` for an answer of `asked` tokens; where the daily allowance refuses that but holds
// a shorter one, asked again for that one. Its response, the answer tokens it was given, and the
// refusal's `quota` where it was shortened (null where not). A request the allowance refuses
// again for the same tokens (an engine that reserves its whole context, however short the
// answer) is the refusal it is: asking again would not help.
async function withinAllowance(ask, asked) {
  let tokens = asked;
  let refused = null;  // the last refusal's quota
  for (;;) {
    try {
      return { response: await ask(tokens), tokens, quota: refused };
    } catch (error) {
      const again = refused !== null && error.quota?.requested === refused.requested;
      const fits = again ? null : answerThatFits(error, tokens);
      if (fits === null) throw error;
      refused = error.quota;
      tokens = fits;
    }
  }
}

// What the user reads under an answer the allowance shortened; "" under one it did not.
function limitedSaid(answered) {
  if (!answered.quota) return "";
  return fill(T.answer_limited, { allowance: allowanceNamed(answered.quota), count: decimal(answered.tokens, 0) });
}

// The browser names a lost connection ("Failed to fetch", a stream cut off: TypeError) and an
// answer that is not JSON (SyntaxError) in English: the page says them in its own language.
function reason(error) {
  if (error instanceof TypeError) return T.unreachable;
  if (error instanceof SyntaxError) return T.unreadable;
  return error.message;
}

// Signing out forgets everything this person typed or was shown: the page loads afresh, so
// that no view, today's or one added later, can keep a draft, a result or the conversation for
// whoever signs in next. Only why they were signed out is kept, to say it.
function signOut(notice) {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(CARRY);
  sessionStorage.removeItem(DRAFT);
  sessionStorage.setItem(NOTICE, notice);
  state.key = "";
  $("app").hidden = true;
  loadAfresh();
}

// The page loaded again in the language it is in: another tab (or this one, before the back
// button) may have switched the language the server remembers meanwhile.
function loadAfresh() {
  location.replace(`/?lang=${document.documentElement.lang}`);
}

// The sign-in form: nothing the language switch carried is left for whoever signs in, nor a
// draft, unless `keep`: a sign-in that failed on the way (the server out of reach, or
// failing) keeps it for the retry, and it shows again only for the key it was written with
// (`restoreDraft`). A key the server refused (401) takes it.
function showLogin(message, keep = false) {
  sessionStorage.removeItem(CARRY);
  if (!keep) sessionStorage.removeItem(DRAFT);
  $("app").hidden = true;
  $("login").hidden = false;
  if (message !== undefined) $("login-error").textContent = message;
}

// Whether a model writes text, as the server says from the engine that runs it: an embedding
// model (an encoder) only makes vectors, for searching documents.
const writes = (model) => model.capabilities.includes("completion");

async function signIn() {
  const models = await (await api("/v1/models")).json();
  state.models = models.data.filter(writes);  // chats and the look inside: those that write
  state.model = state.models[0]?.id ?? "";
  // the chat, the answers from the documents and the drafts each choose among them, each
  // starting with the first (the server's default for an answer or a draft that names none)
  for (const [choice, select] of [["model-choice", "model"], ["answer-model-choice", "answer-model"], ["draft-model-choice", "draft-model"]]) {
    $(select).replaceChildren(...state.models.map((m) => new Option(m.id, m.id)));
    $(choice).hidden = state.models.length < 2;  // one model: nothing to choose
  }
  offerWriting();
  drawModel(state.models[0] ?? models.data[0]);
  sayLookedInto();
  await loadCollections();
  await loadTrace();
  // the findings are asked for only where the server says this key may triage them: asked by
  // anyone else, each would be a 403 (and a record in the audit log)
  $("findings-tab").hidden = !(await showAllowance())?.may_triage;
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = !needsKey();
  await restoreDraft();
  const carried = await restoreCarried();
  saySignedIn();  // once the page shows what it had (an answer said again in this language)
  return carried;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  state.key = $("key").value.trim();
  if (!state.key) {
    $("login-error").textContent = T.key_missing;
    $("key").focus();
    return;
  }
  try {
    await signIn();
    sessionStorage.setItem(KEY, state.key);
    $("login-error").textContent = "";
    // the form is gone: the view the address names opens (the chat, or the view of a link
    // followed before signing in), with the focus on it, not on the start of the page
    if (!addressed()) history.replaceState(null, "", location.pathname + location.search);
    showAddressed();
  } catch (error) {
    state.key = "";
    // a key refused is the key's fault; a lost connection or the server's failure is not
    const refused = error.status >= 400 && error.status < 500;
    showLogin(refused ? fill(T.login_failed, { reason: sentence(error.message) }) : failed(error), error.status !== 401);
  }
});

// What needs a model that writes is offered only where there is one (the model chosen writes
// it): the chat, the look inside, a draft and an answer from the documents. In their place, why
// not; searching the documents needs none.
function offerWriting() {
  const none = !state.models.length;
  $("chat-form").hidden = none;
  $("chat-no-writer").hidden = !none;
  $("tokens-form").hidden = none;
  $("tokens-no-writer").hidden = !none;
  $("draft-form").hidden = none;
  $("answer-button").hidden = none;
  for (const id of ["draft-no-writer", "documents-no-writer"]) {
    $(id).hidden = !none;
    $(id).textContent = none ? T.no_writer : "";
  }
}

// Signed in, with the models that write that this key may use: the chat, an answer from the
// documents and a draft each choose among them (beside each, where there are several), so the
// status names them all, not the one the chat has chosen.
function saySignedIn() {
  const names = state.models.map((m) => m.id);
  const list = new Intl.ListFormat(document.documentElement.lang, { type: "conjunction" }).format(names);
  $("signed-in").textContent = names.length ? fill(counted("signed_in", names.length), { models: list, model: list }) : T.signed_in_none;
}

// The look inside looks into the chat's model: with several, its view says which.
function sayLookedInto() {
  $("tokens-model").hidden = state.models.length < 2;
  $("tokens-model").textContent = fill(T.tokens_model, { model: state.model });
}

function drawModel(model) {
  drawAbout(model.openness);
  drawAudit(model.audit);
}

function chooseModel() {
  // a new model starts a new conversation; "about the model" follows the choice
  state.model = $("model").value;
  newConversation();
  drawModel(state.models.find((m) => m.id === state.model));
  sayLookedInto();
}
$("model").addEventListener("change", chooseModel);

$("logout").addEventListener("click", () => signOut(""));

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  // the tab's title names the view: in the history's list, and where a screen reader says it
  document.title = name === "chat" ? T.title : `${$(`${name}-heading`).textContent} – ${T.title}`;
  if (name === "findings") loadFindings();
  if (name === "policy") policyShown = showPolicy();  // read afresh: periods change live
}

// --- each view has its own address: the back button, a reload and a link open it -----------
// The chat, which a sign-in opens, is the page's address itself; every other view its fragment
// (#documents …; #policy, or #rule-ID at a rule of the policy). Each view a person opens is an
// entry in the tab's history; the back and forward buttons show the view of the entry.
function addressOf(view, ruleId) {
  if (ruleId) return `#rule-${encodeURIComponent(ruleId)}`;
  return view === "chat" ? "" : `#${view}`;
}

// The view the address names, and the rule where it names one; null for a fragment that names
// no view (#content, the skip link's target, where typed).
function addressed() {
  const fragment = location.hash;
  if (!fragment) return { view: "chat", rule: null };
  const rule = /^#rule-(.+)$/.exec(fragment);
  if (rule) {
    try { return { view: "policy", rule: decodeURIComponent(rule[1]) }; } catch (_) { return null; }
  }
  const view = fragment.slice(1);
  return $(`view-${view}`)?.classList.contains("view") ? { view, rule: null } : null;
}

// A view the person opens: a new entry in the history (none where the address names it
// already). The language switch goes to the same view in the other language.
function goTo(view, ruleId = null) {
  const address = addressOf(view, ruleId);
  if (address !== location.hash) history.pushState(null, "", location.pathname + location.search + address);
  $("language").hash = address;
}

// The view the address names, with the focus on its heading (or the rule), as a tab does:
// after the back or forward button, a reload, a link or a sign-in. Signed out, a view of the
// signed-in part is the sign-in form (the view opens once signed in).
function showAddressed() {
  const at = addressed();
  if (!at) return;  // the view stays
  $("language").hash = location.hash;
  if (at.view === "policy") {
    showPolicyAt(at.rule);
    return;
  }
  if ($("app").hidden) {
    if (!$("policy-back").hidden) backToSignIn();  // the policy, opened before signing in
    return;
  }
  const tab = document.querySelector(`.tab[data-view="${at.view}"]`);
  const view = tab && !tab.closest("[hidden]") ? at.view : "chat";
  if (view !== at.view) {  // a view this key may not open (the triage): the chat, and its address
    history.replaceState(null, "", location.pathname + location.search);
    $("language").hash = "";
  }
  showView(view);
  $(`${view}-heading`).focus();
}
// After the back and forward buttons, and an address typed or followed in this tab: only once
// the browser has moved the focus to the element of the fragment's name, where there is one
// (#draft is the draft itself), or else to the page (hashchange comes after it, popstate not).
addEventListener("hashchange", showAddressed);
// The skip link goes to the content and leaves the view's address as it is: as an address,
// its #content names no view, and a reload would open the chat instead of the view.
document.querySelector(".skip").addEventListener("click", (event) => {
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  $("content").focus();
});

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    goTo(tab.dataset.view);
    showView(tab.dataset.view);
    $(`${tab.dataset.view}-heading`).focus({ preventScroll: false });
  });
}
for (const heading of ["chat-heading", "documents-heading", "tokens-heading", "draft-heading", "tender-heading", "about-heading", "findings-heading", "policy-heading"]) $(heading).tabIndex = -1;

// --- chat, streamed ------------------------------------------------------------------------
// What the model is sent: the turns that still fit into its context (the log shows them all).
const conversation = [];
const ANSWER_TOKENS = 200;
let chatRound = 0;  // a new conversation starts a new round: an answer still streaming is dropped
let chatting = false;

function addTurn(who, text) {
  const turn = document.createElement("div");
  turn.className = `turn ${who}`;
  const name = document.createElement("strong");
  name.textContent = `${who === "user" ? T.you : T.assistant}: `;
  const body = document.createElement("span");
  body.dir = "auto";  // isolated (as <bdi>): an answer's direction never reorders the page
  written(body, text);
  turn.append(name, body);
  $("chat-log").append(turn);
  return body;
}

// A turn's text as written (what the model is sent again, and a report quotes) is kept apart
// from the text shown, whose bidirectional controls are shown as ⟨U+2069⟩: a model may write
// them, and a stray closing isolate (U+2069) would end the turn's isolation early, an override
// after it reorder the page's words. `more` is appended; the text as written is returned.
function written(turn, more = "") {
  turn.dataset.written = (turn.dataset.written || "") + more;
  turn.textContent += bidiShown(more);  // each control is one UTF-16 unit: a piece at a time
  return turn.dataset.written;
}

// A turn the server refused or that failed (a used-up limit, a model down, a question too long
// for the context …), as a chat client shows one: in the log where its answer would be, why,
// marked as an error in words (not by colour alone), in the language it was said in (`lang`,
// where the language switch carried it). Its question stays above it; neither is sent to the
// model again (`conversation` holds neither).
function addRefusal(lang = document.documentElement.lang) {
  const turn = document.createElement("div");
  turn.className = "turn refusal";
  const name = textElement("strong", `${T.turn_refused}: `);
  name.className = "error";
  const body = document.createElement("span");
  body.lang = lang;
  turn.append(name, body);
  $("chat-log").append(turn);
  return body;
}

function offerReport(answer, question) {
  if (!has("findings")) return;  // no findings file: a report could not be sent
  const report = document.createElement("button");
  report.type = "button";
  report.className = "report";
  report.textContent = T.report_button;
  report.addEventListener("click", () => openReport(question, written(answer)));
  answer.parentElement.append(" ", report);
}

function newConversation() {
  chatRound += 1;
  chatting = false;
  conversation.length = 0;
  $("chat-log").replaceChildren();
  $("chat-log").setAttribute("aria-busy", "false");
  $("chat-status").textContent = "";
  $("report").hidden = true;
}

$("new-chat").addEventListener("click", () => {
  newConversation();
  $("chat-status").textContent = T.new_chat_started;
  $("message").focus();
});

// The conversation without its oldest exchange (a system message stays); null where only the
// last question is left.
function withoutOldest(messages) {
  const system = messages.filter((m) => m.role === "system");
  const rest = messages.filter((m) => m.role !== "system");
  let drop = 1;  // the oldest message, and the answers after it: the rest starts with a question
  while (drop < rest.length && rest[drop].role !== "user") drop += 1;
  return drop < rest.length ? [...system, ...rest.slice(drop)] : null;
}

// The conversation as it fits into the model's context with room for an answer, counted with
// the server's tokenizer: the oldest turns go first. An engine that lends no tokenizer, or a
// model that names no context, leaves it whole (the server's refusal then drops turns).
const uncounted = new Set();  // models whose server counts no tokens for the page
async function fitted(messages) {
  if (uncounted.has(state.model)) return messages;
  const card = state.models.find((m) => m.id === state.model);
  let kept = messages;
  for (;;) {
    let counted;
    try {
      counted = await (await api("/tokenize", { model: state.model, messages: kept })).json();
    } catch (error) {
      // only an engine without the route counts never; a refusal or a lost connection is
      // this once (the server's refusal of a conversation too long then drops turns)
      if (error.status === 404) uncounted.add(state.model);
      return kept;
    }
    const limit = card?.max_model_len ?? counted.max_model_len;
    if (!limit) return kept;
    const budget = limit - Math.min(ANSWER_TOKENS, Math.floor(limit / 2));
    const shorter = counted.count > budget ? withoutOldest(kept) : null;
    if (!shorter) return kept;  // it fits; or the question alone, which the server judges
    kept = shorter;
  }
}

function trimmedNote() {
  const note = document.createElement("p");
  note.className = "note";
  note.textContent = T.chat_trimmed;
  return note;
}

function sayTrimmed(question) {
  // once, where the conversation the model sees now begins: before the new question
  const turn = question.parentElement;
  if (turn.previousElementSibling?.classList.contains("note")) return;
  turn.before(trimmedNote());
}

function keep(messages, question) {
  if (messages.length === conversation.length) return;
  conversation.splice(0, conversation.length, ...messages);
  sayTrimmed(question);
}

// The model's answer to the conversation of `round`, trimmed to fit and as long as the daily
// allowance holds (`withinAllowance`: its response, its answer tokens, and why fewer); null
// where a new conversation began meanwhile. It works on its own copy and looks again after
// every wait: the turns of the old conversation must never reach the new one.
async function chatResponse(question, round) {
  let messages = [...conversation];
  for (;;) {
    messages = await fitted(messages);
    if (round !== chatRound) return null;
    keep(messages, question);
    try {
      const answered = await withinAllowance((tokens) => api("/v1/chat/completions", {
        model: state.model, messages, stream: true, max_tokens: tokens,
      }), ANSWER_TOKENS);
      if (round === chatRound) return answered;
      await answered.response.body.cancel();
      return null;
    } catch (error) {
      if (round !== chatRound) return null;
      const shorter = error.code === "context_length_exceeded" ? withoutOldest(messages) : null;
      if (!shorter) throw error;
      messages = shorter;
    }
  }
}

async function streamInto(answer, response, round) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (round !== chatRound) {  // a new conversation began meanwhile
      await reader.cancel();
      return false;
    }
    if (done) return true;
    buffer += decoder.decode(value, { stream: true });
    const events = buffer.split("\n\n");
    buffer = events.pop();
    for (const line of events) {
      const data = line.replace(/^data: /, "");
      if (data === "[DONE]") continue;
      const event = JSON.parse(data);
      if (event.error) throw Object.assign(new Error(event.error.message), { status: 500 });
      const delta = event.choices?.[0]?.delta?.content;
      if (delta) written(answer, delta);
    }
  }
}

$("chat-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("message").value.trim();
  if (!content) return;
  if (chatting) {  // the last answer is still coming: say so again, not nothing
    sayBusyAgain();
    return;
  }
  chatting = true;
  // the answer streams in token by token: a screen reader reads the log once it is whole
  $("chat-log").setAttribute("aria-busy", "true");
  const round = chatRound;
  $("message").value = "";
  conversation.push({ role: "user", content });
  const question = addTurn("user", content);
  const answer = addTurn("assistant", "");
  $("chat-status").textContent = T.busy;
  try {
    const answered = await chatResponse(question, round);
    if (!answered || !(await streamInto(answer, answered.response, round))) return;
    conversation.push({ role: "assistant", content: written(answer) });
    // an answer of blanks (the model ended at once, as a tiny one now and then does) is said,
    // and is offered no report: its form could never be sent (the answer is a required field,
    // here and on the server), and the report's thanks would never come
    const blank = !written(answer).trim();
    const said = [blank ? T.answer_empty : "", limitedSaid(answered)];
    $("chat-status").textContent = said.filter(Boolean).join(" ");  // "": nothing to say
    if (!blank) offerReport(answer, content);
  } catch (error) {
    if (round !== chatRound) return;
    // a failed turn, whatever refused it, stays in the log with why in place of its answer (a
    // part of one that broke off goes), and leaves the conversation the model is sent: its
    // question goes back into the box to send again
    if (conversation.at(-1)?.role === "user") conversation.pop();
    answer.parentElement.remove();
    sayFailed(addRefusal(), error);
    if (!$("message").value) $("message").value = content;
    sayFailed($("chat-status"), error);  // said at once (the log waits until it is not busy)
  } finally {
    if (round === chatRound) chatting = false;
    $("chat-log").setAttribute("aria-busy", "false");
    showAllowance();  // what this answer (or the refusal) left of the day's tokens
  }
});

// The same words again are no change a screen reader announces: they go, and come back a
// moment later (unless the answer came meanwhile).
function sayBusyAgain() {
  $("chat-status").textContent = "";
  setTimeout(() => { if (chatting && !$("chat-status").textContent) $("chat-status").textContent = T.busy; }, 150);
}

$("message").addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  event.preventDefault();
  $("chat-form").requestSubmit();
});

// --- where a phrase occurs in the training data ------------------------------------------
// What the index holds, each count with its own singular: never "1 Tokens".
function traceHelp(documents, tokens) {
  const lang = document.documentElement.lang;
  return fill(counted("trace_help", documents), {
    documents: documents.toLocaleString(lang),
    tokens: fill(counted("trace_tokens", tokens), { count: tokens.toLocaleString(lang) }),
  });
}

async function loadTrace() {
  $("trace-part").hidden = true;
  if (!has("trace")) return;  // this server was started without --trace-data
  try {
    const index = await (await api("/v1/trace")).json();
    $("trace-help").textContent = traceHelp(index.documents, index.tokens);
    $("trace-part").hidden = false;
  } catch (_) {
    $("trace-part").hidden = true;  // the index cannot be read now: the rest of the view works
  }
}

// How much of the text the training data holds: all of it word for word, or so many parts.
function tracedSaid(spans, asked) {
  const words = (text) => text.trim().split(/\s+/).join(" ");
  if (spans.length === 1 && words(spans[0].text) === words(asked)) return T.trace_found_whole;
  return fill(counted("trace_found", spans.length), { count: spans.length });
}

// The places a span is listed at, one entry per document (in the order listed) with the lines
// it stands at there and the words around its first place (`context`, from the server): a
// document named three times over says nothing a learner can use.
function placesByDocument(places) {
  const documents = new Map();
  for (const place of places) {
    const key = JSON.stringify([place.id, place.license, place.source]);
    if (!documents.has(key)) documents.set(key, { doc: place, lines: [], context: place.context });
    documents.get(key).lines.push(place.line);
  }
  return [...documents.values()];
}

// (the server says each place's line; one it could not place is left out of the list)
function linesSaid(lines) {
  const known = lines.filter((line) => line != null).map((line) => line.toLocaleString(document.documentElement.lang));
  if (!known.length) return "";
  if (lines.length === 1) return fill(T.trace_document_line, { line: known[0] });
  return fill(T.trace_document_lines, { count: lines.length, lines: known.join(", ") });
}

$("trace-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("trace-spans").replaceChildren();
  try {
    const traced = await (await api("/v1/trace", { text: $("trace-text").value })).json();
    $("trace-status").textContent = traced.spans.length
      ? tracedSaid(traced.spans, $("trace-text").value)
      : traced.message || T.trace_none;  // the server says why: too short, or not found
    $("trace-spans").replaceChildren(...traced.spans.map((span) => {
      const item = document.createElement("li");
      const what = document.createElement("p");
      what.append(...fillIsolated(T.trace_span, { text: span.text, occurrences: span.occurrences }));
      const where = document.createElement("ul");
      where.replaceChildren(...placesByDocument(span.documents).map(({ doc, lines, context }) => {
        const entry = document.createElement("li");
        const said = linesSaid(lines);
        entry.append(isolated(doc.id), ` (${T.licence}: `, isolated(doc.license ?? T.unknown), said ? `): ${said}` : ")");
        if (context) {  // where the phrase stands: a few words of the document around it
          const around = document.createElement("p");
          around.className = "help trace-context";
          around.append(...fillIsolated(T.trace_context, { text: context }));
          entry.append(around);
        }
        return entry;
      }));
      item.append(what, where);
      if (span.occurrences > span.documents.length) {  // the server lists the first few places
        const more = document.createElement("p");
        more.className = "help";
        more.textContent = fill(T.trace_more, { listed: span.documents.length, occurrences: span.occurrences });
        item.append(more);
      }
      return item;
    }));
  } catch (error) {
    sayFailed($("trace-status"), error);
  }
});

// --- a memo or a speech from the documents ------------------------------------------------
for (const kind of document.querySelectorAll('input[name="draft-kind"]')) {
  kind.addEventListener("change", () => { $("speech-fields").hidden = !$("draft-rede").checked; });
}

// The draft shown, and the request it answers: a limit that refused some of its parts (the
// server answers with the parts written and `missing`) lets them be asked for alone, with the
// parts written handed back, once its Retry-After has passed. Kept in the tab's session storage
// (DRAFT), so that a reload shows it again, the missing parts and their wait with it.
let drafted = null;
let draftWait = null;  // the countdown to the missing parts (an interval)

$("draft-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const speech = $("draft-rede").checked;
  const body = {
    kind: speech ? "rede" : "vermerk",
    collection: $("draft-collection").value,
    subject: $("draft-subject").value,
    model: $("draft-model").value,  // its missing parts are asked of the same model
  };
  if (speech) {
    Object.assign(body, {
      audience: $("draft-audience").value,
      occasion: $("draft-occasion").value,
      minutes: Number($("draft-minutes").value) || Number($("draft-minutes").defaultValue),
      points: $("draft-points").value.split("\n").map((p) => p.trim()).filter(Boolean),
    });
  }
  // the last draft goes at once: under an error or the next draft it would read as theirs
  $("draft").hidden = true;
  drafted = null;
  sessionStorage.removeItem(DRAFT);
  clearInterval(draftWait);
  if ($("source").closest(".view") === $("view-draft")) $("source").hidden = true;
  if (!body.collection) {  // the server would only say the name is empty
    $("draft-status").textContent = T.no_collections;
    return;
  }
  $("draft-status").textContent = T.busy;
  try {
    const draft = await (await api("/v1/assist/draft", body)).json();
    if (!draft.sections.length) {  // no source matched: nothing was written, and it says why
      $("draft-status").textContent = draft.message;
      return;
    }
    showDraft(body, draft);
  } catch (error) {
    sayFailed($("draft-status"), error);
  }
  showAllowance();
});

// The missing parts, asked for alone: the parts the model wrote go back as they are (the server
// checks their citations again and puts them in their places), the others are written. Refused
// again, the draft stays as it is and the status says why and when to try again.
$("draft-complete").addEventListener("click", async () => {
  if (!drafted || $("draft-complete").getAttribute("aria-disabled") === "true") return;  // not yet
  const { body, draft } = drafted;
  const given = givenSections(draft);
  $("draft-status").textContent = T.busy;
  $("draft-complete").setAttribute("aria-disabled", "true");  // a second press would ask twice
  try {
    showDraft(body, await (await api("/v1/assist/draft", { ...body, given })).json());
  } catch (error) {
    $("draft-complete").removeAttribute("aria-disabled");  // the draft stays: it may be asked again
    sayFailed($("draft-status"), error);
  }
  showAllowance();
});

// The sections the model wrote, to hand back as they are (`given`): the server puts them in
// their places and checks their citations again, in the request's language.
const givenSections = (draft) => draft.sections.filter((section) => section.asked_model).map((section) => (
  section.allowance_tokens ? { id: section.id, text: section.text, allowance_tokens: section.allowance_tokens }
    : { id: section.id, text: section.text }));

// `until`: when the wait for the missing parts ends (the Retry-After, from when it was said);
// `focus`: whether the focus goes to the draft (not where a reload shows it again).
function showDraft(body, draft, until = Date.now() + (draft.retry_after ?? 0) * 1000, focus = true) {
  drafted = { body, draft };
  keepDraft(body, draft, until);
  clearInterval(draftWait);
  const missing = new Set(draft.missing);
  $("draft-title").textContent = draft.title;
  $("draft-writer").textContent = draft.asked_model ? fill(T.written_by, { model: draft.model }) : "";
  $("draft-sections").replaceChildren(...draft.sections.map((section) => {
    const part = document.createElement("section");
    const heading = document.createElement("h4");
    heading.textContent = section.heading;
    const text = document.createElement("p");
    if (section.text.trim()) text.replaceChildren(...citing(section.text, section.citations, draft.sources, body.collection));
    else text.textContent = T.answer_empty;  // blanks only: said, not an empty part
    part.append(heading, text);
    if (section.allowance_tokens) {  // written, but shorter than planned: it may end early
      const note = document.createElement("p");
      note.className = "warning";
      note.textContent = fill(T.section_shortened, { count: decimal(section.allowance_tokens, 0) });
      part.append(note);
    }
    if (section.status !== "supported") {
      const note = document.createElement("p");
      note.className = "warning";
      // a part the model did not write (its key point has no source left) says why, as the
      // server does, and so does a written one that cites nothing (the server's sentence, as
      // the CLI and the Markdown say it). A part a limit refused (the daily allowance, the
      // requests per minute) is not one without evidence: its reason alone.
      const unwritten = section.asked_model === false;
      const status = unwritten ? "not_written" : section.status;
      const said = missing.has(section.id) ? section.problems : [named("section", status), ...section.problems];
      note.textContent = said.join(" ");
      part.append(note);
    }
    return part;
  }));
  if (draft.message) {  // sources the context could not hold
    const note = document.createElement("p");
    note.textContent = draft.message;
    $("draft-sections").append(note);
  }
  $("draft-sources").replaceChildren(...draft.sources.map((source) => {
    const item = document.createElement("li");
    const open = sourceButton(`${T.show_source} [${source.n}]`, body.collection, source);
    item.append(`[${source.n}] `, isolated(label(source)), " ", open);
    return item;
  }));
  const supported = draft.sections.filter((section) => section.supported).length;
  const result = fill(T.draft_result, { sections: draft.sections.length, supported });
  $("draft-status").textContent = result;
  $("draft-missing").hidden = !missing.size;
  if (missing.size) waitForMissing(result, missing.size, until);
  $("draft").hidden = false;
  if (focus) $("draft-title").focus();
}

// The draft, its request and when the wait for its missing parts ends, for this key (its public
// id, as the language switch's carry): a reload of this tab shows it again. A draft too large
// for the session storage is not kept; the page shows it all the same.
function keepDraft(body, draft, until) {
  try {
    const lang = document.documentElement.lang;  // the language its server's words are in
    sessionStorage.setItem(DRAFT, JSON.stringify({ keyId: keyId(state.key), body, draft, until, lang }));
  } catch (_) {
    sessionStorage.removeItem(DRAFT);
  }
}

// The draft this tab showed last, with its request in the form, once signed in with the same
// key; anything else in its place (another key's, or not a draft) is dropped. Kept in the other
// language (the language switch), a draft is said again in this one (its title, headings,
// problems and notes are the server's words): the sections the model wrote are handed back,
// and none is written (`sections: []`); those still to write come back as `missing`, said in
// this language, the wait for them as it was.
async function restoreDraft() {
  let kept = null;
  try { kept = JSON.parse(sessionStorage.getItem(DRAFT)); } catch (_) { /* not ours */ }
  const body = kept?.body;
  const ours = typeof kept?.keyId === "string" && kept.keyId === keyId(state.key);
  if (!ours || typeof body?.subject !== "string" || !Array.isArray(kept.draft?.sections)) {
    sessionStorage.removeItem(DRAFT);
    return;
  }
  $("draft-rede").checked = body.kind === "rede";
  $("draft-vermerk").checked = body.kind !== "rede";
  $("speech-fields").hidden = body.kind !== "rede";
  if ([...$("draft-collection").options].some((o) => o.value === body.collection)) $("draft-collection").value = body.collection;
  if ([...$("draft-model").options].some((o) => o.value === body.model)) $("draft-model").value = body.model;
  $("draft-subject").value = body.subject;
  if (body.kind === "rede") {
    $("draft-audience").value = body.audience ?? "";
    $("draft-occasion").value = body.occasion ?? "";
    $("draft-minutes").value = body.minutes ?? $("draft-minutes").defaultValue;
    $("draft-points").value = Array.isArray(body.points) ? body.points.join("\n") : "";
  }
  const { draft } = kept;
  const until = Number(kept.until) || 0;
  if (kept.lang === document.documentElement.lang) {
    showDraft(body, draft, until, false);
    return;
  }
  try {
    const again = { ...body, sections: [], given: givenSections(draft) };
    showDraft(body, await (await api("/v1/assist/draft", again)).json(), until, false);
  } catch (error) {
    showDraft(body, draft, until, false);
    sayFailed($("draft-status"), error);
  }
}

// The button for the missing parts, usable once the limit's Retry-After has passed (`until`;
// at once where waiting does not help: an administrator may have raised the limit). The time
// left is shown beside it each second, and said (the status is a polite live region) twice
// only: when the wait begins, with the time it ends, and when it has ended.
function waitForMissing(result, count, until) {
  const button = $("draft-complete");
  const said = (key, values) => `${sentence(result)} ${fill(counted(key, count), { count, ...values })}`;
  const tick = () => {
    const seconds = Math.ceil((until - Date.now()) / 1000);
    if (seconds > 0) {
      $("draft-wait").textContent = seconds < 120 ? fill(T.draft_wait_seconds, { seconds })
        : fill(T.draft_wait_minutes, { minutes: Math.ceil(seconds / 60) });
      return;
    }
    clearInterval(draftWait);
    $("draft-wait").textContent = "";
    button.removeAttribute("aria-disabled");
    $("draft-status").textContent = said("draft_missing_now", {});
  };
  if (until <= Date.now()) {
    tick();
    return;
  }
  button.setAttribute("aria-disabled", "true");
  const time = new Date(until).toLocaleTimeString(document.documentElement.lang);
  $("draft-status").textContent = said("draft_missing_at", { time });
  tick();
  draftWait = setInterval(tick, 1000);
}

// A finished draft taken out of the page: as Markdown (the server's, with its sources listed),
// to the clipboard or as a file. The clipboard's API needs a secure context (https or this
// machine); elsewhere the older way of copying a selected text is tried.
$("draft-copy").addEventListener("click", async () => {
  if (!drafted) return;
  const markdown = drafted.draft.markdown;
  let copied = false;
  try {
    await navigator.clipboard.writeText(markdown);
    copied = true;
  } catch (_) {
    const area = document.createElement("textarea");
    area.value = markdown;
    area.setAttribute("aria-hidden", "true");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    copied = document.execCommand("copy");
    area.remove();
    $("draft-copy").focus();
  }
  $("draft-status").textContent = copied ? T.draft_copied : T.draft_copy_failed;
});

$("draft-download").addEventListener("click", () => {
  if (!drafted) return;
  const file = new Blob([drafted.draft.markdown], { type: "text/markdown;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(file);
  // the title as the file's name, without what a file system does not take
  link.download = `${drafted.draft.title.replace(/[\\/:*?"<>|\u0000-\u001f\s]+/g, " ").trim() || "draft"}.md`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
});

// --- the tender check ---------------------------------------------------------------------
// The largest file the server takes as a tender: the file itself, not its base64 in the
// request (the server's figure from its body limit, page.py), said under the file's field.
const TENDER_FILE_MAX = Number(document.body.dataset.tenderFileMax);
$("tender-file-help").textContent = fill(T.tender_file_help, { size: mibSaid(TENDER_FILE_MAX) });

function base64Of(file) {
  // the file's bytes as base64, for JSON (the server reads it and does not keep it)
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// What a file input holds, said in the page's words beside its button (the browser's own
// "No file chosen" is hidden with the input): after a choice, and after the page empties it.
function showChosen(input) {
  const names = [...input.files].map((file) => file.name);
  $(`${input.id}-chosen`).textContent = names.length ? fill(T.files_chosen, { names: names.join(", ") }) : T.no_file_chosen;
}
for (const id of ["upload-file", "tender-file"]) $(id).addEventListener("change", () => showChosen($(id)));

$("tender-file").addEventListener("change", () => {
  $("tender-file-clear").hidden = !$("tender-file").files.length;
});
$("tender-file-clear").addEventListener("click", () => {
  $("tender-file").value = "";
  showChosen($("tender-file"));
  $("tender-file-clear").hidden = true;
  $("tender-file").focus();
});

// The draft last checked, as it was sent (its text, or its file), for the language switch: the
// check is rule-based, so the other language's page runs it again and says its findings in
// that language (no model is asked, nothing counts against the allowance).
let tenderChecked = null;

$("tender-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // the last check's findings go at once: under an error they would read as its findings
  $("tender-findings").replaceChildren();
  tenderChecked = null;
  const file = $("tender-file").files[0];
  const text = $("tender-text").value.trim();
  if (!file && !text) {
    $("tender-status").textContent = T.tender_nothing;
    return;
  }
  if (file && text) {  // one is checked, never the other in silence: the user says which
    $("tender-status").textContent = T.tender_both;
    return;
  }
  if (file && file.size > TENDER_FILE_MAX) {  // said before its bytes are read and sent
    $("tender-status").textContent = fill(T.upload_too_large, { document: bidiShown(file.name), size: mibSaid(TENDER_FILE_MAX) });
    return;
  }
  $("tender-status").textContent = T.tender_checking;
  try {
    await checkTender(file ? { file: { name: file.name, data: await base64Of(file) } } : { text });
  } catch (error) {
    sayFailed($("tender-status"), error);
  }
});

// `carried`: the check the language switch carried, whose file is no longer chosen: the status
// names it.
async function checkTender(body, carried = false) {
  const checked = await (await api("/v1/assist/tender", body)).json();
  tenderChecked = body;
  const result = fill(T.tender_result, { count: checked.findings.length, errors: checked.errors });
  $("tender-status").textContent = carried && body.file
    ? `${fill(T.tender_file_checked, { name: bidiShown(body.file.name) })} ${result}` : result;
  $("tender-findings").replaceChildren(...checked.findings.map((finding) => {
    const item = document.createElement("li");
    item.className = `finding ${finding.severity}`;
    const title = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = `${named("severity", finding.severity)}: ${finding.title}`;
    title.append(strong, ` (${finding.source})`);
    item.append(title);
    if (finding.passage) {
      // where the sentence stands, as sources are named elsewhere: "S. 2", the section, or a text
      // file's line with its section: "Zeile 7 (1. Gegenstand)"
      const line = !finding.page && finding.line ? fill(T.line, { line: finding.line }) : null;
      const over = finding.page ? fill(T.page, { page: finding.page }) : finding.section;
      const where = line && over ? `${line} (${over})` : line || over;
      if (where) {
        const place = document.createElement("p");
        place.className = "finding-place";
        place.textContent = `${where}:`;
        item.append(place);
      }
      const quote = document.createElement("blockquote");
      quote.textContent = finding.passage;
      item.append(quote);
    }
    const advice = document.createElement("p");
    advice.textContent = finding.advice;
    item.append(advice);
    return item;
  }));
}

// The check the language switch carried (`tenderCarried`), run again in this language; where
// that fails, or the check could not be carried, the status says why.
async function restoreTender(carried) {
  if (carried?.lost === true) {
    $("tender-status").textContent = T.tender_not_carried;
    return;
  }
  // pasted: the text the field holds again (carried with the typed fields)
  const text = carried?.pasted === true ? $("tender-text").value.trim() : carried?.text;
  const file = typeof carried?.file?.name === "string" && typeof carried.file.data === "string" ? carried.file : null;
  if (!(typeof text === "string" && text) && !file) return;  // not what this page sent
  $("tender-status").textContent = T.tender_checking;
  try {
    await checkTender(file ? { file: { name: file.name, data: file.data } } : { text }, true);
  } catch (error) {
    sayFailed($("tender-status"), error);
  }
}

// The check to carry across the language switch: a pasted text the field still holds is
// carried with the typed fields, not twice.
function tenderCarried(fields) {
  const pasted = typeof tenderChecked?.text === "string" && tenderChecked.text === fields["tender-text"]?.trim();
  return pasted ? { pasted: true } : tenderChecked;
}

// --- about the model: licence and openness, as the server computed them ------------------
function drawAbout(openness) {
  const facts = $("about-facts");
  facts.replaceChildren();
  // a rating the model's files declare (a bundle's openness.json) that they do not give
  $("about-declared").textContent = openness?.declared ?? "";
  $("about-declared").hidden = !openness?.declared;
  if (!openness) {
    $("about-open").textContent = T.about_unrated;
    return;
  }
  $("about-open").textContent = openness.open ? T.about_open : T.about_not_open;
  const add = (term, value) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    facts.append(dt, dd);
  };
  // the class as /v1/models says it in the page's language: the verdict its number gives (a
  // conditional Class III: no class met in full), never a label that reads as more
  add(T.mof, openness.mof_said || openness.mof_label);
  add(T.osaid, openness.osaid ? T.passed : T.not_passed);
  // each licence by its name in the page's language, its SPDX id beside it (licenses_said)
  for (const [part, licence] of Object.entries(openness.licenses)) {
    const shown = openness.licenses_said?.[part] || licence;
    add(fill(T.licence_of, { part: T[`part_${part}`] || part }), shown || T.unknown);
  }
  $("about-check").textContent = openness.check;
  // each placeholder the command holds (BUNDLE, DIR, URL), explained; none it does not hold
  const used = [...new Set(openness.check.match(/\b[A-Z]{2,}\b/g) ?? [])];
  const said = used.filter((name) => T.placeholders[name]).map((name) => `${name}: ${T.placeholders[name]}`);
  $("about-check-where").textContent = said.length ? `(${said.join("; ")})` : "";
}

// --- the audit in plain language ---------------------------------------------------------
function percent(share) {
  return (share * 100).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 });
}

// A line's first word as a sentence opens ("reading comprehension: …" beside "Stereotypes: …").
const opening = (text) => text.charAt(0).toLocaleUpperCase(document.documentElement.lang) + text.slice(1);

// A task by what it asks in the page's language; one the report describes in no language by
// its id, marked as one.
function taskName(task, lang) {
  const what = task.what[lang] || task.what.de;
  return what ? opening(what) : fill(T.audit_task_id, { name: task.name });
}

// The red team's rate over all attacks, the caveat of the lenient detectors that counted it in
// one sentence (each naming the attacks it rated: a meaningless answer is a success there),
// and each kind of attack with its own rate: the average hides 100 % beside 0 %.
function redteamItem(audit) {
  const categories = audit.redteam_categories ?? [];
  const name = (category) => T.audit_names[category.name] || category.name;
  const clauses = (audit.redteam_lenient ?? []).map((detector) => fill(T[`audit_lenient_${detector}`], {
    kinds: categories.filter((category) => category.detector === detector).map(name).join(", "),
  }));
  const said = [fill(T.audit_redteam, { share: percent(audit.redteam_attack_success), probes: audit.redteam_probes })];
  if (clauses.length) said.push(fill(T.audit_lenient, { clauses: clauses.join(` ${T.audit_lenient_or} `) }));
  const item = textElement("li", said.join(" "));
  if (categories.length) {
    const each = document.createElement("ul");
    each.className = "redteam-categories";
    each.replaceChildren(...categories.map((category) => textElement("li", category.attack_success === null
      ? fill(T.audit_redteam_unrated, { name: opening(name(category)) })
      : fill(T.audit_redteam_category, { name: opening(name(category)), share: percent(category.attack_success), rated: category.rated }))));
    item.append(each);
  }
  return item;
}

function drawAudit(audit) {
  const lines = [];
  if (!audit) {
    lines.push(T.audit_none);
  } else {
    const lang = document.documentElement.lang;
    for (const task of audit.tasks) {
      const said = { what: taskName(task, lang), value: percent(task.value) };
      // a share of right answers reads against what guessing gets (25 % of four choices)
      lines.push(task.chance === null || task.chance === undefined
        ? fill(T.audit_task, said)
        : fill(T.audit_task_chance, { ...said, chance: percent(task.chance) }));
    }
    if (audit.bias_categories.length) {
      // each side a group leans to, as its interval shows it: the stereotype or its opposite
      const n = audit.bias_categories.length;
      const sides = [[T.audit_bias_flagged, audit.bias_prefers_stereotype], [T.audit_bias_anti, audit.bias_prefers_anti_stereotype]];
      for (const [said, groups] of sides) {
        if (groups.length) lines.push(fill(said, { flagged: groups.length, n, names: groups.map((c) => T.audit_names[c] || c).join(", ") }));
      }
      if (!audit.bias_flagged.length) lines.push(fill(T.audit_bias_none, { n }));
    }
    if (audit.redteam_attack_success !== null) lines.push(redteamItem(audit));
    if (audit.memorised_exact !== null) {
      lines.push(fill(T.audit_memorised, { share: percent(audit.memorised_exact), samples: audit.memorisation_samples }));
    }
    if (audit.personal_data !== null) lines.push(fill(T.audit_personal, { share: percent(audit.personal_data) }));
  }
  $("about-audit").replaceChildren(...lines.map((line) => (typeof line === "string" ? textElement("li", line) : line)));
  $("audit-source").textContent = audit ? T.audit_source : "";
}

// --- community findings: report an answer; the triage group decides ----------------------
function openReport(prompt, response) {
  $("report-prompt").value = prompt;
  $("report-response").value = response;
  $("report").hidden = false;
  $("report-heading").focus();
}

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const finding = await (await api("/v1/findings", {
      category: $("report-category").value, prompt: $("report-prompt").value, response: $("report-response").value, model: state.model,
    })).json();
    $("report").hidden = true;
    $("report-status").textContent = fill(T.reported, { id: finding.id });
    $("report-status").focus();  // the form it was in is gone: the focus goes to what it says
  } catch (error) {
    sayFailed($("report-status"), error);
  }
});

// A finding as a person recognises it: its first words, on one line.
function excerpt(text, length = 40) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > length ? `${line.slice(0, length).trimEnd()} …` : line;
}

// A finding's row; its decision cell offers what is still to decide (a decided finding only
// the other decision, to revise it) and, right after a decision, a button that undoes it
// (`before`: the finding as it was): no decision stands on one key press alone.
function findingRow(finding, before = null) {
  const row = document.createElement("tr");
  const category = named("category", finding.category);
  const shown = [category, finding.prompt, finding.response, named("status", finding.status)];
  for (const value of shown) {  // a reporter's words, each control shown: read as stored
    const cell = document.createElement("td");
    cell.append(isolated(value, true));
    row.append(cell);
  }
  if (finding.report_note) {  // the reporter's own words: shown, never replaced by a decision
    const said = document.createElement("p");
    said.className = "help";
    said.append(...fillIsolated(T.report_note, { note: finding.report_note }, true));
    row.cells[1].append(said);
  }
  const status = row.cells[3];
  status.className = "status";
  status.tabIndex = -1;  // where focus goes after a decision: the row, not a button to press again
  // the note of the last decision, to keep, change or empty: the next decision replaces it
  const noteCell = document.createElement("td");
  const note = document.createElement("textarea");
  note.className = "note";
  note.rows = 2;
  note.maxLength = Number(document.body.dataset.noteMax);
  note.value = finding.note ?? "";
  // named by its column and finding, as a screen reader meets it outside the table too
  note.setAttribute("aria-label", fill(T.note_label, { category: bidiShown(category, true), prompt: excerpt(bidiShown(finding.prompt, true)) }));
  note.setAttribute("aria-describedby", "findings-help");
  noteCell.append(note);
  const actions = document.createElement("td");
  for (const [decision, name] of [["confirmed", T.confirm], ["rejected", T.reject]]) {
    if (finding.status === decision) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    button.setAttribute("aria-label", fill(T.triage_label, { decision: name, category: bidiShown(category, true), prompt: excerpt(bidiShown(finding.prompt, true)) }));
    button.addEventListener("click", () => decide(finding, decision, row, note.value));
    actions.append(button, " ");
  }
  if (before && before.status !== finding.status) {
    const status = named("status", before.status);
    const undo = textElement("button", fill(T.undo, { status }));
    undo.type = "button";
    undo.setAttribute("aria-label", fill(T.undo_label, { status, category: bidiShown(category, true), prompt: excerpt(bidiShown(finding.prompt, true)) }));
    // back to the status and note it had, and no undo of the undo
    undo.addEventListener("click", () => decide(finding, before.status, row, before.note ?? "", false));
    actions.append(undo);
  }
  row.append(noteCell, actions);
  return row;
}

async function decide(finding, decision, row, note, undoable = true) {
  try {
    const path = `/v1/findings/${encodeURIComponent(finding.id)}/triage`;
    const changed = await (await api(path, { status: decision, note: note.trim() || null })).json();
    const fresh = findingRow(changed, undoable ? finding : null);
    row.replaceWith(fresh);
    $("findings-status").replaceChildren(...fillIsolated(T.triaged, {
      prompt: excerpt(changed.prompt), category: named("category", changed.category), status: named("status", changed.status),
    }, true));
    fresh.querySelector("td.status").focus();
  } catch (error) {
    sayFailed($("findings-status"), error);
  }
}

async function loadFindings() {
  const body = $("findings").tBodies[0];
  try {
    const found = await (await api("/v1/findings")).json();
    body.replaceChildren(...found.data.map(findingRow));
    // no table of nothing: its header alone would read as rows still to come
    $("findings-box").hidden = !found.data.length;
    $("findings-status").textContent = found.data.length ? "" : T.no_findings_yet;
  } catch (error) {
    $("findings-box").hidden = true;
    sayFailed($("findings-status"), error);
  }
}

// --- documents and their sources -----------------------------------------------------------
async function loadCollections() {
  const select = $("collection");
  select.replaceChildren();
  if (!has("collections")) {
    $("documents-status").textContent = T.no_collections_here;
    $("held").hidden = true;
    return;
  }
  try {
    const found = await (await api("/v1/collections")).json();
    for (const collection of found.data) select.append(new Option(collection.id, collection.id));
    $("draft-collection").replaceChildren(...[...select.options].map((o) => new Option(o.text, o.value)));
    $("documents-status").textContent = found.data.length ? "" : T.no_collections;
  } catch (error) {
    $("documents-status").textContent = error.status === 404 ? T.no_collections : failed(error);
  }
  await loadHeld();
}

// What the chosen collection holds and, where the server takes documents, the upload form
// and a remove button for each: people add their own files, the next search finds them.
async function loadHeld() {
  const name = $("collection").value;
  $("held").hidden = !name;
  if (!name) return;
  try {
    const held = await (await api(`/v1/collections/${encodeURIComponent(name)}/documents`)).json();
    if (name !== $("collection").value) return;  // another collection was chosen meanwhile
    state.uploadLimit = held.max_upload_bytes;
    // what people uploaded they may take out again; what the operator ingested stays
    $("held-list").replaceChildren(...held.data.map((entry) => heldItem(name, entry, held.uploads && entry.uploaded)));
    if (!held.data.length) $("held-list").replaceChildren(Object.assign(document.createElement("li"), { textContent: T.held_none }));
    $("upload-form").hidden = !held.uploads;
    $("held-how").textContent = held.uploads ? "" : T.held_by_operator;
    if (held.uploads) {
      $("upload-help").textContent = fill(T.upload_help, { size: mibSaid(held.max_upload_bytes) });
    }
  } catch (error) {
    sayFailed($("held-status"), error);
  }
}

function heldItem(name, held, removable) {
  const item = document.createElement("li");
  const text = document.createElement("span");
  text.append(...fillIsolated(counted("held_chunks", held.chunks), { document: held.id, count: held.chunks }));
  item.append(text);
  if (removable) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = T.remove_button;
    remove.setAttribute("aria-label", fill(T.remove_label, { document: held.id }));
    remove.addEventListener("click", () => removeHeld(name, held.id));
    item.append(remove);
  }
  return item;
}

async function removeHeld(name, key) {
  if (!window.confirm(fill(T.remove_confirm, { document: key }))) return;
  let said;
  try {
    await call(`/v1/collections/${encodeURIComponent(name)}/documents?${new URLSearchParams({ document: key })}`, { method: "DELETE" });
    said = fill(T.removed, { document: key });
  } catch (error) {
    said = failed(error);
  }
  await loadHeld();  // the list as it is now, before it is said: the button pressed is gone
  $("held-status").textContent = said;
  $("held-heading").focus();
}

$("collection").addEventListener("change", loadHeld);

$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("collection").value;
  const files = [...$("upload-file").files];
  if (!files.length) {
    $("held-status").textContent = T.upload_none;
    return;
  }
  const said = [];
  for (const file of files) {  // one at a time: each is read and indexed before the next
    if (file.size > state.uploadLimit) {  // said here: the server would cut the upload off
      said.push(fill(T.upload_too_large, { document: file.name, size: mibSaid(state.uploadLimit) }));
      continue;
    }
    $("held-status").textContent = fill(T.upload_busy, { document: bidiShown(file.name) });
    try {
      const query = new URLSearchParams({ filename: file.name });
      // the file as it is; the server reads its type from its name (a form or text/plain
      // would be refused: pages of other sites can send those unasked)
      const done = await (await call(`/v1/collections/${encodeURIComponent(name)}/documents?${query}`, {
        method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
      })).json();
      said.push(fill(T[`upload_${done.status}`], { document: bidiShown(done.document) }));
      // control characters read as spaces, chunks cut for the embedding model
      if (done.note) said.push(sentence(bidiShown(done.note)));
    } catch (error) {
      // a file the server read and did not take: its sentence names the file and says so
      const whole = error.code === "document_not_taken";
      said.push(whole ? sentence(bidiShown(reason(error))) : fill(T.upload_failed, { document: bidiShown(file.name), reason: sentence(reason(error)) }));
    }
  }
  $("upload-file").value = "";
  showChosen($("upload-file"));
  await loadHeld();
  $("held-status").textContent = said.join(" ");
});

// A hit's place as a reader finds it: document, page and section (a PDF's passages carry both),
// and a text file's lines, which tell apart the hits of one long section or of a file without
// headings.
function label(hit) {
  const page = hit.page ? fill(T.page, { page: hit.page }) : null;
  const [first, last] = hit.lines || [];
  const lines = !hit.lines ? null : first === last ? fill(T.line, { line: first }) : fill(T.lines, { first, last });
  return [hit.document, page, hit.section, lines].filter(Boolean).join(", ");
}

// A button that opens `hit`'s source (in collection `name`) in the viewer, in its own view.
function sourceButton(text, name, hit, ariaLabel) {
  const open = document.createElement("button");
  open.type = "button";
  open.textContent = text;
  if (ariaLabel) open.setAttribute("aria-label", ariaLabel);
  open.addEventListener("click", () => showSource(name, hit, open));
  // the language switch's, awaited: the page says it is signed in once the source shows again
  open.reopen = () => showSource(name, hit, open, false);
  return open;
}

// Citations become buttons to the sources they name, at the places the server's check found
// them (rag/cite.py reads the markers; the page does not read them again): a marker naming one
// source is its button, of a marker naming several each written number is one; a number that
// names no source, and a marker that cannot be read, stay text.
function citeButton(shown, marker, name, source) {
  const button = sourceButton(shown, name, source, fill(T.cite_label, { marker, where: label(source) }));
  button.className = "cite";
  return button;
}

function citing(text, citations, sources, name) {
  const characters = Array.from(text);  // the server counts characters, not UTF-16 units
  // its bidirectional controls shown, as in a chat's answer (`written`)
  const slice = (start, end) => bidiShown(characters.slice(start, end).join(""));
  const numbered = new Map(sources.map((source) => [source.n, source]));
  const markers = new Map();  // start: the citations of the marker there, in the text's order
  for (const cited of citations) {
    if (cited.problem !== "unreadable") markers.set(cited.start, [...(markers.get(cited.start) || []), cited]);
  }
  const parts = [];
  let at = 0;
  for (const [start, cited] of markers) {
    const end = cited[0].end;
    parts.push(slice(at, start));
    at = end;
    const marker = slice(start, end);
    if (new Set(cited.map((c) => c.source)).size === 1) {
      const source = numbered.get(cited[0].source);
      parts.push(source ? citeButton(marker, marker, name, source) : marker);
      continue;
    }
    let inside = start;
    for (const c of cited) {
      const source = numbered.get(c.source);
      if (!source || c.number_start === null) continue;
      const number = slice(c.number_start, c.number_end);
      parts.push(slice(inside, c.number_start), citeButton(number, `[${number}]`, name, source));
      inside = c.number_end;
    }
    parts.push(slice(inside, end));
  }
  parts.push(slice(at));
  return parts;
}

function showPassages(name, passages) {
  // passages: {n, document, page, section, text}; each with a button to its source
  for (const hit of passages) {
    const item = document.createElement("li");
    const where = document.createElement("p");
    where.append(`[${hit.n}] `, isolated(label(hit)));
    const passage = document.createElement("p");
    passage.textContent = hit.text;
    item.append(where, passage, sourceButton(`${T.show_source} [${hit.n}]`, name, hit));
    $("results").append(item);
  }
}

// What the documents view shows: the passages found or the answer (the server's reply, as
// shown), of which collection, and which of its source buttons opened the viewer (its place
// among them); the language switch carries it, as the chat's turns.
let documentsShown = null;
const sourceButtons = () => [...document.querySelectorAll("#answer button, #results button")];

function startDocumentsQuery() {
  const name = $("collection").value;
  documentsShown = null;
  $("results").replaceChildren();
  $("source").hidden = true;
  $("answer").hidden = true;
  if (!name) $("documents-status").textContent = T.no_collections;
  else if (!$("query").value.trim()) $("query").reportValidity();
  else return name;
  return null;
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = startDocumentsQuery();
  if (!name) return;
  try {
    const found = await (await api(`/v1/collections/${encodeURIComponent(name)}/search`, { query: $("query").value, k: 5 })).json();
    showSearch(name, found);
  } catch (error) {
    sayFailed($("documents-status"), error);
  }
});

// The passages found, and, where the search by meaning read only the question's start, how
// much of it: said in the page's words from the server's numbers (`question_cut`), so that the
// language switch says it again without searching again.
function showSearch(name, found) {
  const count = found.data.length;
  const said = count ? fill(counted("search_found", count), { count }) : T.no_hits;
  $("documents-status").textContent = found.question_cut ? `${said} ${questionCutSaid(found.question_cut)}` : said;
  showPassages(name, found.data.map((hit) => ({ ...hit, n: hit.rank })));
  documentsShown = { name, search: found, opened: null };
}

function questionCutSaid(cut) {
  if (![cut.kept, cut.length].every(Number.isInteger)) throw new TypeError("question_cut");  // not the server's
  const said = cut.words_searched ? T.question_cut : T.question_cut_dense;
  return fill(said, { kept: decimal(cut.kept, 0), length: decimal(cut.length, 0) });
}

function showAnswer(name, found, question) {
  showAnswerText(found, name);
  const written = found.asked_model || found.given;  // given: this page's answer, handed back
  $("answer-writer").textContent = written ? fill(T.written_by, { model: found.model }) : "";
  const verdict = written ? named("verdict", found.status) : "";
  $("answer-verdict").textContent = verdict;
  // that it cites nothing is all there is to say, and the verdict says it: not twice
  const problems = verdict && found.status === "no_citation" ? [] : found.problems;
  $("answer-problems").replaceChildren(...problems.map((problem) => {
    const item = document.createElement("li");
    item.textContent = problem;
    return item;
  }));
  $("documents-status").textContent = found.note ?? "";
  $("answer").hidden = false;
  showPassages(name, found.sources);
  documentsShown = { name, answer: found, question, opened: null };
}

// The documents view as the language switch carried it: the passages or the answer shown
// again, and the source that was open, read afresh in this language. The answer is not asked
// for again (that costs the model's time and the day's allowance): it is handed back, and the
// server says it again in this language, its citations checked anew (their problems, the
// answer without evidence and the note of a shortened answer are the server's words); where
// that fails, it shows as carried, and the status says why.
async function restoreDocuments(shown) {
  const name = shown?.name;
  if (typeof name !== "string" || ![...$("collection").options].some((o) => o.value === name)) return;
  try {
    if (Array.isArray(shown.search?.data)) showSearch(name, shown.search);
    else if (typeof shown.answer?.answer === "string") await showAnswerAgain(name, shown.answer, shown.question);
    else return;
  } catch (_) {  // not what this page wrote: nothing shown
    $("results").replaceChildren();
    $("answer").hidden = true;
    documentsShown = null;
    return;
  }
  const opener = sourceButtons()[shown.opened];
  if (Number.isInteger(shown.opened) && opener) await opener.reopen?.();
}

async function showAnswerAgain(name, found, question) {
  const given = {
    answer: found.asked_model || found.given ? found.answer : null,
    sources: found.sources.map((source) => source.id),
    allowance_tokens: found.allowance_tokens ?? null,
    question_cut: found.question_cut ?? null,
  };
  const body = { question: typeof question === "string" && question ? question : $("query").value, model: found.model, given };
  let again = null;
  let refused = null;
  try {
    again = await (await api(`/v1/collections/${encodeURIComponent(name)}/answer`, body)).json();
  } catch (error) {
    refused = error;
  }
  showAnswer(name, again ?? found, question);
  if (refused) sayFailed($("documents-status"), refused);
}

$("answer-button").addEventListener("click", async () => {
  const name = startDocumentsQuery();
  if (!name) return;
  $("documents-status").textContent = T.answering;
  try {
    // as long as the server plans it, and shorter where the daily allowance holds less (the
    // server asks the model again for what it holds, and says so in its note)
    const question = $("query").value;
    const found = await (await api(`/v1/collections/${encodeURIComponent(name)}/answer`, { question, model: $("answer-model").value })).json();
    showAnswer(name, found, question);
    $("answer-heading").focus();
  } catch (error) {
    sayFailed($("documents-status"), error);
  }
  showAllowance();
});

// The answer with its citations as buttons; an answer of nothing but blanks says that the model
// wrote none, not a heading over nothing.
function showAnswerText(found, name) {
  if (found.answer.trim()) $("answer-text").replaceChildren(...citing(found.answer, found.citations, found.sources, name));
  else $("answer-text").textContent = T.answer_empty;
}

let sourceOpener = null;  // the button that opened the viewer: closing it returns there

// `focus`: whether the focus goes to the viewer (not where the language switch opens it again).
async function showSource(name, hit, opener, focus = true) {
  const view = opener.closest(".view");
  const query = new URLSearchParams({ document: hit.document });
  if (hit.page) query.set("page", hit.page);
  if (hit.page && hit.text) query.set("passage", hit.text.slice(0, Number(document.body.dataset.passageMax)));
  // a text file's lines: the passage cited, not the whole file (one without headings has no
  // section that would narrow it)
  else if (hit.lines) query.set("lines", `${hit.lines[0]}-${hit.lines[1]}`);
  else if (hit.section) query.set("section", hit.section);
  try {
    const source = await (await api(`/v1/collections/${encodeURIComponent(name)}/source?${query}`)).json();
    $("source-heading").replaceChildren(...fillIsolated(T.source_heading, { document: label(hit) }));
    const box = $("source-text");
    box.replaceChildren();
    const at = source.text.indexOf(hit.text);
    if (at < 0) {
      box.textContent = source.text;
    } else {
      const mark = document.createElement("mark");
      mark.textContent = hit.text;
      box.append(source.text.slice(0, at), mark, source.text.slice(at + hit.text.length));
    }
    // the printed page is an aid: without it the text still shows
    await showPageImage(source, hit).catch(() => { $("source-frame").hidden = true; });
    // the viewer opens where the user looks: right below the answer, list or draft whose
    // button asked (not at the end of the view, below the upload form)
    const block = opener.closest("#answer, #results, #draft");
    if (block) block.after($("source"));
    else view.append($("source"));
    $("source").hidden = false;
    sourceOpener = opener;
    if (documentsShown && view.id === "view-documents") documentsShown.opened = sourceButtons().indexOf(opener);
    if (focus) $("source-heading").focus();
  } catch (error) {
    view.querySelector("p[role=status]").textContent = failed(error);
  }
}

function closeSource() {
  $("source").hidden = true;
  if (documentsShown) documentsShown.opened = null;
  const back = sourceOpener?.isConnected ? sourceOpener : $("source").closest(".view").querySelector("h2");
  sourceOpener = null;
  back.focus();
}

async function showPageImage(source, hit) {
  // A PDF's page as printed, fetched with the key like every call (an <img src> could not
  // send it); the text below stays what screen readers and search read.
  const image = $("source-page");
  if (image.src) URL.revokeObjectURL(image.src);
  image.removeAttribute("src");
  $("source-frame").hidden = true;
  for (const mark of document.querySelectorAll(".page-mark")) mark.remove();
  if (!source.page_image) return;
  const blob = await (await api(source.page_image)).blob();
  image.alt = fill(T.page_image_alt, { page: source.page, document: hit.document });
  image.src = URL.createObjectURL(blob);
  for (const [left, top, width, height] of source.page_marks) {
    // the passage on the printed page; the text below marks it for screen readers
    const mark = document.createElement("span");
    mark.className = "page-mark";
    mark.setAttribute("aria-hidden", "true");
    Object.assign(mark.style, {
      left: `${100 * left}%`, top: `${100 * top}%`, width: `${100 * width}%`, height: `${100 * height}%`,
    });
    $("source-frame").append(mark);
  }
  $("source-frame").hidden = false;
}
$("source-close").addEventListener("click", closeSource);
$("source").addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  event.preventDefault();
  closeSource();
});

// --- the policy: what this server filters and records, and why (/v1/policy) ------------------
// Open to everyone, key or not: it is read before signing in too. Every sentence is chosen by
// the policy's own fields; what is recorded is read afresh each time the view opens (an
// administrator may change how long content is kept while the page is open).
let policyRead = null;  // the last read of /v1/policy (a promise), for a refusal's rule
let policyShown = Promise.resolve();  // the view drawn: where a link to a rule moves the focus

function readPolicy() {
  const reading = api("/v1/policy").then((response) => response.json());
  policyRead = reading;
  reading.catch(() => { if (policyRead === reading) policyRead = null; });  // asked again next time
  return reading;
}

// A text the policy holds in German and English, in the page's language.
const inLanguage = (texts) => texts?.[document.documentElement.lang] ?? texts?.de ?? "";

function textElement(tag, text) {
  const element = document.createElement(tag);
  element.textContent = text;
  return element;
}

async function showPolicy() {
  $("policy-status").textContent = "";
  try {
    drawPolicy(await readPolicy());
    $("policy-body").hidden = false;
  } catch (error) {
    $("policy-body").hidden = true;
    $("policy-status").textContent = failed(error);
  }
}

function drawPolicy(policy) {
  $("policy-name").textContent = policy.id
    ? fill(T.policy_named, { title: inLanguage(policy.title), id: policy.id, version: policy.version })
    : inLanguage(policy.text);  // no policy: the server says that it filters nothing
  $("policy-sha").textContent = policy.sha256 ? fill(T.policy_sha, { sha: policy.sha256 }) : "";
  $("policy-sha").hidden = !policy.sha256;
  $("policy-rules-part").hidden = !policy.id;
  const rules = policy.rules.map(ruleItem);
  $("policy-rules").replaceChildren(...(rules.length ? rules : [textElement("li", T.policy_no_rules)]));
  $("policy-reading").textContent = inLanguage(policy.reading);
  $("policy-reading-part").hidden = !policy.reading;
  drawRecords(policy.audit_log);
}

// A rule as a person reads it: its name (the policy file's `title`), why it exists, what it
// does and what it looks for; its id in small type (refusals name it). A rule without a title
// (an older policy file) by its id.
function ruleItem(rule) {
  const item = document.createElement("li");
  item.id = `rule-${rule.id}`;
  item.tabIndex = -1;  // where a refusal's link moves the focus
  const name = rule.title ? inLanguage(rule.title) : null;
  item.append(textElement("h4", name ?? fill(T.policy_rule, { rule: rule.id })));
  if (name) {
    const id = textElement("p", `${T.rule_id} `);
    id.className = "help rule-id";
    id.append(textElement("code", rule.id));
    item.append(id);
  }
  item.append(
    textElement("p", inLanguage(rule.text)),
    textElement("p", T[`action_${rule.action}`] ?? rule.action),
    ...looksFor(rule),
  );
  return item;
}

function looksFor(rule) {
  if (rule.kind === "keywords") {
    const shown = document.createElement("details");  // dozens of phrases: open on request
    const words = document.createElement("ul");
    words.replaceChildren(...rule.words.map((word) => textElement("li", word)));
    shown.append(textElement("summary", fill(T.kind_keywords, { count: rule.words.length })), words);
    return [shown];
  }
  if (rule.kind === "regex") {
    // the pattern that applies, as published, for those who read regular expressions: closed
    // at first, and without the comments of a verbose one (the policy file's, in English)
    const shown = document.createElement("details");
    const pattern = document.createElement("pre");
    pattern.append(textElement("code", withoutComments(rule.pattern)));
    shown.append(textElement("summary", T.pattern_show), textElement("p", T.kind_regex), pattern,
      textElement("p", rule.case_sensitive ? T.kind_regex_case : T.kind_regex_any_case));
    return [shown];
  }
  if (rule.kind === "pii") {
    const types = rule.types?.map((type) => named("pii", type)).join(", ");
    return [textElement("p", types ? fill(T.kind_pii, { types }) : T.kind_pii_all)];
  }
  if (rule.kind === "classifier") {
    // the threshold as the policy file gives it (0.875, not rounded to 0,88)
    const threshold = rule.threshold.toLocaleString(document.documentElement.lang, { maximumFractionDigits: 6 });
    const values = { labels: rule.labels.join(", "), threshold };
    return [textElement("p", fill(T.kind_classifier, values))];
  }
  return [];
}

// A verbose pattern ((?x) at its start) without its comments, as Python's `re` reads it: a `#`
// outside a character class and not escaped starts one, to the end of its line; lines left
// empty go too. Any other pattern as it is: there a `#` is a character.
function withoutComments(pattern) {
  if (!/^\(\?[aiLmsux]*x/.test(pattern)) return pattern;
  const lines = [];
  for (const line of pattern.split("\n")) {
    let kept = "";
    let inClass = false;
    for (let at = 0; at < line.length; at++) {
      const char = line[at];
      if (char === "\\") {
        kept += line.slice(at, at + 2);
        at++;
        continue;
      }
      if (!inClass && char === "#") break;
      if (char === "[" && !inClass) {
        inClass = true;
        kept += char;
        if (line[at + 1] === "^") kept += line[++at];
        if (line[at + 1] === "]") kept += line[++at];  // a "]" first in a class is a character
        continue;
      }
      if (char === "]") inClass = false;
      kept += char;
    }
    if (kept.trim()) lines.push(kept.trimEnd());
  }
  return lines.join("\n");
}

// What the server records, from /v1/policy's `audit_log`: whether content is kept and how long,
// so whether administrators can read conversations, IP addresses, the records' period, fields.
function drawRecords(log) {
  const said = [];
  const days = (value) => decimal(value, 0);
  if (!log?.kept) {
    said.push(T.log_none, T.admins_cannot_read);
  } else {
    if (!log.content) said.push(T.log_metadata);
    else if (log.content_retention_days != null) {
      said.push(fill(counted("log_content", log.content_retention_days), { days: days(log.content_retention_days) }));
    } else said.push(T.log_content_kept);
    if (log.content_redaction_known === false) said.push(T.log_content_redaction_unknown);
    else if (log.content_redacted) {
      const kinds = log.content_redacted.map((kind) => T[`pii_${kind}`] || kind).join(", ");
      said.push(fill(log.content_names_kept ? T.log_content_names_kept : T.log_content_redacted, { kinds }));
    }
    said.push(log.content ? T.admins_can_read : T.admins_cannot_read);
    said.push(log.ip_addresses ? T.log_addresses : T.log_no_addresses);
    said.push(log.retention_days != null
      ? fill(counted("log_retention", log.retention_days), { days: days(log.retention_days) })
      : T.log_retention_none);
  }
  $("policy-log").replaceChildren(...said.map((line) => textElement("li", line)));
  const fields = log?.kept ? log.fields : [];
  $("log-fields").replaceChildren(...fields.map((field) => {
    // each column by what it holds, and its name as an export shows it (a column added later,
    // which the page has no words for, by its name alone)
    const item = document.createElement("li");
    const code = textElement("code", field);
    if (T[`field_${field}`]) item.append(`${T[`field_${field}`]} (`, code, ")");
    else item.append(code);
    return item;
  }));
  $("log-fields-part").hidden = !fields.length;
}

// A link to a rule on the policy view; one opened in a new tab opens the page at the rule.
function ruleLink(id) {
  const link = textElement("a", fill(T.policy_rule_link, { rule: id }));
  link.href = addressOf("policy", id);
  link.addEventListener("click", (event) => {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openPolicy(id);
  });
  return link;
}

// The policy view, opened by a link: an entry in the history.
function openPolicy(ruleId) {
  goTo("policy", ruleId);
  showPolicyAt(ruleId);
}

// The policy view, at a rule (its id) or at its heading; before signing in in place of the
// sign-in form, with a way back to it (and the language switch keeps it open).
async function showPolicyAt(ruleId) {
  if ($("app").hidden) {
    $("login").hidden = true;
    $("policy-back").hidden = false;
  }
  showView("policy");
  await policyShown;
  for (const marked of document.querySelectorAll(".rules .current")) marked.classList.remove("current");
  const rule = ruleId ? $(`rule-${ruleId}`) : null;
  if (rule) rule.classList.add("current");
  (rule ?? $("policy-heading")).focus();
}

$("policy-open").addEventListener("click", (event) => {
  if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  openPolicy(null);
});

// From the policy, opened before signing in, back to the sign-in form, at the link that opened it.
function backToSignIn() {
  $("policy-back").hidden = true;
  showView("chat");  // the view a sign-in opens
  showLogin();
  $("policy-open").focus();
}

$("policy-back").addEventListener("click", () => {
  goTo("chat");
  backToSignIn();
});

// --- the caller's own limits and today's use (/v1/me), after each answer --------------------
function allowanceSaid(mine) {
  const number = (value) => decimal(value, 0);
  const said = [];
  for (const limit of mine.limits) {
    const whose = fill(T[`whose_${limit.whose}`] ?? limit.whose, { group: limit.group });
    if (limit.tokens_per_day !== null) {
      said.push(fill(counted("allowance_tokens", limit.tokens_per_day), {
        used: number(limit.tokens_today + limit.tokens_reserved), limit: number(limit.tokens_per_day), whose,
      }));
    }
    if (limit.requests_per_minute !== null) {
      said.push(fill(counted("allowance_requests", limit.requests_per_minute), { limit: number(limit.requests_per_minute), whose }));
    }
    if (limit.concurrent_streams !== null) {
      said.push(fill(counted("allowance_streams", limit.concurrent_streams), { limit: number(limit.concurrent_streams), whose }));
    }
  }
  if (!said.length) return T.allowance_none;
  if (mine.limits.some((limit) => limit.tokens_per_day !== null)) said.push(T.allowance_renewed);
  return said.join(" ");
}

// What /v1/me says (null where it cannot be read now: the rest of the page works).
async function showAllowance() {
  try {
    const mine = await (await api("/v1/me")).json();
    $("allowance").textContent = allowanceSaid(mine);
    return mine;
  } catch (_) {
    $("allowance").textContent = "";
    return null;
  }
}

// --- the language switch keeps the view, what was typed and the conversation -----------------
const NOT_CARRIED = new Set(["file", "password", "range"]);  // and the model: chosen by name

function typedFields() {
  const fields = {};
  for (const field of $("app").querySelectorAll("input[id], textarea[id], select[id]")) {
    if (NOT_CARRIED.has(field.type) || field.id === "model") continue;
    fields[field.id] = field.type === "radio" || field.type === "checkbox" ? field.checked : field.value;
  }
  return fields;
}

// The log as it shows: every turn, and the notes where older turns were left out.
function shownLog() {
  return Array.from($("chat-log").children, (entry) => {
    if (entry.classList.contains("note")) return { role: "note" };
    const body = entry.querySelector("span");
    if (entry.classList.contains("refusal")) {  // why, as said: without a policy rule's link
      const said = Array.from(body.childNodes, (node) => (node.nodeName === "A" ? "" : node.textContent));
      return { role: "refusal", content: said.join("").trim(), lang: body.lang };
    }
    return { role: entry.classList.contains("user") ? "user" : "assistant", content: written(body) };
  });
}

// Carried only where this tab goes to the other language, for the same key: a link opened in
// a new tab (Ctrl, Shift or the middle button) leaves nothing here for whoever signs in next.
$("language").addEventListener("click", (event) => {
  if ($("app").hidden || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  // the view goes in the link's address (goTo)
  const documents = $("source").hidden || $("source").closest(".view")?.id !== "view-documents"
    ? { ...documentsShown, opened: null } : documentsShown;
  const carried = { keyId: keyId(state.key), model: state.model, fields: typedFields(), conversation, log: shownLog(), documents, lookInside: lookInsideCarried() };
  try {
    sessionStorage.setItem(CARRY, JSON.stringify({ ...carried, tender: tenderCarried(carried.fields) }));
  } catch (_) {  // a tender file too large for the tab's storage: the rest goes, and says so
    try {
      sessionStorage.setItem(CARRY, JSON.stringify({ ...carried, tender: tenderChecked && { lost: true } }));
    } catch (_again) { /* the tab stores nothing: the language switches all the same */ }
  }
  location.assign($("language").href);
});

function restoreLog(log) {
  let question = "";
  for (const entry of Array.isArray(log) ? log : []) {
    if (entry?.role === "note") {
      $("chat-log").append(trimmedNote());
      continue;
    }
    if (entry?.role === "refusal" && typeof entry.content === "string") {  // said as it was
      addRefusal(/^[a-z]{2}$/.test(entry.lang) ? entry.lang : undefined).textContent = entry.content;
      continue;
    }
    if (!["user", "assistant"].includes(entry?.role) || typeof entry.content !== "string") continue;
    const turn = addTurn(entry.role, entry.content);
    if (entry.role === "user") question = entry.content;
    else if (entry.content.trim()) offerReport(turn, question);  // as `blank` in the chat
  }
}

// What the language switch carried, for this key; whether there was any.
async function restoreCarried() {
  let carried = null;
  try { carried = JSON.parse(sessionStorage.getItem(CARRY)); } catch (_) { /* not ours */ }
  sessionStorage.removeItem(CARRY);
  if (!carried || typeof carried !== "object") return false;
  if (typeof carried.keyId !== "string" || carried.keyId !== keyId(state.key)) return false;  // someone else's
  if (carried.model !== state.model && state.models.some((m) => m.id === carried.model)) {
    $("model").value = carried.model;
    chooseModel();
  }
  for (const [id, value] of Object.entries(carried.fields || {})) {
    const field = $(id);
    if (!field || !$("app").contains(field) || NOT_CARRIED.has(field.type)) continue;
    if (typeof value === "boolean") field.checked = value;
    else if (field.tagName !== "SELECT" || [...field.options].some((o) => o.value === value)) field.value = value;
  }
  $("speech-fields").hidden = !$("draft-rede").checked;
  // what the model is sent (the turns that fit), and the log as it showed (all of them)
  for (const message of Array.isArray(carried.conversation) ? carried.conversation : []) {
    if (!["user", "assistant"].includes(message?.role) || typeof message.content !== "string") continue;
    conversation.push({ role: message.role, content: message.content });
  }
  restoreLog(carried.log);
  if (carried.documents) await restoreDocuments(carried.documents);
  if (carried.lookInside) restoreLookInside(carried.lookInside);  // as shown, not asked again
  if (carried.tender) await restoreTender(carried.tender);
  return true;
}

// --- start ----------------------------------------------------------------------------------
// Back from the identity provider: a session key (or the reason there is none) in the
// fragment, which no server ever sees; taken out of the address at once.
// Only the tab that started the sign-in takes what comes back (its one-time mark), so a link
// carrying someone else's key or a made-up message changes nothing.
const back = new URLSearchParams(location.hash.slice(1));
if (back.has("key") || back.has("sso-error")) {
  history.replaceState(null, "", location.pathname + location.search);
  const mark = sessionStorage.getItem("gemeingut-sso");
  sessionStorage.removeItem("gemeingut-sso");
  if (mark && back.get("tab") === mark) {
    if (back.has("key")) {
      state.key = back.get("key");
      sessionStorage.setItem(KEY, state.key);
    } else {
      $("login-error").textContent = fill(T.login_failed, { reason: sentence(back.get("sso-error")) });
    }
  }
}
if ($("sso")) {
  $("sso").addEventListener("click", (event) => {
    event.preventDefault();
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    const mark = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("gemeingut-sso", mark);
    location.href = `/auth/oidc/login?tab=${mark}`;
  });
}
const notice = sessionStorage.getItem(NOTICE);  // this tab was just signed out
sessionStorage.removeItem(NOTICE);
if (notice) $("login-error").textContent = notice;
// The view the address names opens (a reload, a link, the language switch): the policy view
// (#policy, #rule-ID) signed in or not, the others once signed in; focus on it where an
// address or the language switch named it.
readPolicy().catch(() => {});  // at hand for a refusal's rule
if (needsKey() && !state.key) {
  showLogin();
  if (notice !== null) $("key").focus();
  showAddressed();
} else {
  resume();
}

// The page loads signed in with the key this tab kept, where the server still knows it. It
// asks first, quietly (/key-check answers 200 either way): a key revoked or replaced while the
// tab was away is forgotten, its draft with it, and the form says to sign in again, with no
// refused request (401) red in the browser's console. Anything else (the server out of reach
// or failing) is said, and the key stays in the form for the retry, as the draft.
async function resume() {
  try {
    const checked = needsKey() ? await (await api("/key-check")).json() : { known: true };
    if (!checked.known) throw Object.assign(new Error(checked.reason), { status: 401 });
    const carried = await signIn();
    if (carried || location.hash) showAddressed();
  } catch (error) {
    const refused = error.status === 401;  // also where the key went between check and use
    if (refused) {
      sessionStorage.removeItem(KEY);
      state.key = "";
    }
    showLogin(refused ? fill(T.session_ended, { reason: sentence(error.message) }) : failed(error), !refused);
    if (refused) $("key").focus();
    else $("key").value = state.key;
    showAddressed();
  }
}
// A page the back button brings from the browser's cache still shows what it showed: where
// this tab signed out (or in with another key) since, it loads afresh.
addEventListener("pageshow", (event) => {
  if (event.persisted && (sessionStorage.getItem(KEY) || "") !== state.key) loadAfresh();
});
