// The look inside: the text as the model's tokens, the model's probabilities for the next
// token (with temperature and top-p), and what each layer would predict. Uses app.js's helpers
// ($, T, api, fill, failed, sayFailed, showAllowance, counted, decimal, state), which runs first;
// app.js's language switch carries what it shows (lookInsideCarried, restoreLookInside).
"use strict";

// The server lists the likeliest next tokens with the model's log-probabilities (before
// temperature, as OpenAI's API gives them); the rest of the vocabulary is one mass it does not
// break down. The page shows the first SHOWN of them and the others as one bar.
const SHOWN = 10;
let next = null;  // {asked, vocabulary, listed: [{token, p}] likeliest first}
// What the look inside shows, as the server sent it, for the language switch to carry: the
// other language's page draws it again in its words, without asking the model again (which
// counts against the allowance). {model, text, prompt: [token], next, lens: [layer] or null}
let lookedInside = null;

// A token as the page shows it: a space, a line break or a tab would show as nothing (a line
// break token left its bar with a number and no name), so each is a sign the help explains.
const SIGNS = { " ": "␣", "\n": "↵", "\t": "⇥" };
// Any other character that shows nothing (a control character such as the vertical tab, a
// format character such as the zero-width space or a bidirectional control): a token of one
// showed as an empty box and was said as nothing, so it is shown by its Unicode number.
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
// A token that is only part of a character comes named by its bytes ("bytes:\xe2\x80", as
// OpenAI names it; it has no text of its own): shown as ⟨E2 80⟩, which the help explains.
const PART = /^bytes:((?:\\x[0-9a-f]{2})+)$/;
function visibleToken(token) {
  const part = PART.exec(token);
  if (part) return `⟨${part[1].slice(2).split("\\x").join(" ").toUpperCase()}⟩`;
  return token.replace(/[ \n\t]/g, (sign) => SIGNS[sign]).replace(UNSEEN, unicodeNumber);
}

async function vocabularySize() {
  // for the bounds above temperature 1; an engine that does not say leaves them open
  try {
    const info = await (await api(`/tokenizer_info?model=${encodeURIComponent(state.model)}`)).json();
    return Number.isInteger(info.vocab_size) ? info.vocab_size : null;
  } catch (_) {
    return null;
  }
}

$("tokens-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const asked = Number(document.body.dataset.maxLogprobs);
  const text = $("tokens-text").value;
  try {
    const [data, vocabulary] = await Promise.all([
      api("/v1/completions", {
        model: state.model, prompt: text, max_tokens: 1, echo: true, logprobs: asked, temperature: 0,
      }).then((response) => response.json()),
      vocabularySize(),
    ]);
    const logprobs = data.choices[0].logprobs;
    const prompt = logprobs.tokens.slice(0, -1);
    const last = logprobs.top_logprobs[logprobs.top_logprobs.length - 1];
    // sorted here: a script keeps an object's number-like keys ("1", "2024") in number order
    const listed = Object.entries(last).map(([token, logprob]) => ({ token, p: Math.exp(logprob) }));
    lookedInside = { model: state.model, text, prompt, next: { asked, vocabulary, listed: listed.sort((a, b) => b.p - a.p) }, lens: null };
    drawLookInside(lookedInside);
    $("tokens-status").textContent = "";
    const shown = lookedInside;
    shown.lens = await lensOf(text);
    if (lookedInside === shown) drawLens(shown.lens);  // not a later text's meanwhile
  } catch (error) {
    // the last text's tokens go: under the error they would read as this text's
    $("tokens-result").hidden = true;
    lookedInside = null;
    sayFailed($("tokens-status"), error);
  }
  showAllowance();  // what the look inside took of the day's tokens
});

// The unlisted tokens' part of the normaliser at temperature T = 1/a: Σ x^a over their
// probabilities x (all scaled by the likeliest token's), known only within bounds. They add up
// to `rest`; `merged` of them (a listed token's text twins) are at most `high` each, the others
// at most `low`; there are `unlisted` of them in all (null: unknown). x^a against x·cap^(a−1)
// bounds the sum on one side (above for a > 1, below for a < 1; the mass on the larger caps
// first), an even spread (Jensen) on the other. At a = 1 it is `rest` itself.
function restTerm(rest, caps, a, unlisted) {
  if (rest <= 0 || a === 1) return [rest, rest];
  const onHigh = Math.min(rest, caps.merged * caps.high);
  const capped = onHigh * caps.high ** (a - 1) + (rest - onHigh) * caps.low ** (a - 1);
  const even = unlisted > 0 ? unlisted ** (1 - a) * rest ** a : (a > 1 ? 0 : Infinity);
  return a > 1 ? [even, capped] : [capped, even];
}

// The model's distribution at this temperature, p^a / Z over its whole vocabulary: the listed
// tokens' terms, and the bounds [low, high] of the unlisted ones' (scaled by the likeliest p^a).
function atTemperature(temperature) {
  const a = 1 / temperature;
  const { listed, asked, vocabulary } = next;
  const top = listed[0].p;
  const rest = Math.max(0, 1 - listed.reduce((sum, c) => sum + c.p, 0));
  // The server lists the `asked` likeliest tokens (the greedy one among them), a text once:
  // each one fewer is a token in the rest that may be as likely as its likeliest twin and rank
  // among the listed. Every other unlisted token is at most as likely as the last listed.
  const merged = Math.max(0, asked - listed.length);
  const caps = { merged, high: Math.min(rest, top) / top, low: Math.min(rest, listed[listed.length - 1].p) / top };
  const unlisted = vocabulary === null ? null : vocabulary - listed.length;
  const terms = listed.map((c) => (c.p / top) ** a);
  const [low, high] = restTerm(rest / top, caps, a, unlisted);
  // the twins' part of it: each at most as likely as the likeliest listed token
  const twins = merged * caps.high ** a;
  return { terms, sum: terms.reduce((x, y) => x + y, 0), low, high, twins };
}

// The share of `part` (listed terms), with the unlisted tokens (`withRest`) or without them.
function shareOf(dist, part, withRest) {
  if (!withRest) return [part / (dist.sum + dist.high), part / (dist.sum + dist.low)];
  const upper = Number.isFinite(dist.high) ? (part + dist.high) / (dist.sum + dist.high) : 1;
  return [(part + dist.low) / (dist.sum + dist.low), upper];
}

// The bounds of the mass before a listed token whose likelier listed tokens add up to `before`:
// at least none of the unlisted, at most also all the twins, which may rank anywhere above it.
function massBefore(dist, before) {
  const lower = before / (dist.sum + dist.high);
  if (!dist.twins) return [lower, before / (dist.sum + dist.low)];
  const rest = Math.min(Math.max(dist.twins, dist.low), dist.high);  // the worst case
  return [lower, (before + Math.min(rest, dist.twins)) / (dist.sum + rest)];
}

// A share in % with one decimal. An exact one (temperature 1) is rounded to the nearest; a
// range is rounded outwards, so that the range shown still holds the model's value (96,79 to
// 96,935 is "96,7 to 97,0", not "96,8 to 96,9", which leaves out a value of 96,93).
function shareText([low, high]) {
  if (low === high) return `${decimal(low * 100, 1)} %`;
  const [a, b] = [Math.floor(low * 1000) / 10, Math.min(100, Math.ceil(high * 1000) / 10)];
  return fill(T.share_range, { low: decimal(a, 1), high: decimal(b, 1) });
}

// Top-p as the server samples: a token stays while the mass of the tokens before it, within
// [low, high], is below p (the likeliest always); "perhaps" where the bounds straddle p.
function nucleus([low, high], topP, first) {
  if (first || topP >= 1 || high < topP) return "kept";
  return low >= topP ? "out" : "perhaps";
}

// One bar: its text, its share [low, high], whether top-p keeps it and what to say about that.
function nextBar(index, text, share, kept, note) {
  const item = document.createElement("li");
  const id = `next-${index}`;
  const name = document.createElement("label");
  name.htmlFor = id;
  const said = shareText(share);
  name.textContent = `${text} ${said}${note ? ` (${note})` : ""}`;
  const bar = document.createElement("meter");
  bar.id = id;
  bar.min = 0;
  bar.max = 1;
  bar.value = kept === "out" ? 0 : share[0];
  // heard as the page writes it, the range at this temperature included: the bar's own value
  // is only its lower end (0.0341 of 1), which a screen reader would read out as that
  bar.setAttribute("aria-valuetext", kept === "out" ? `${said} (${note})` : said);
  item.append(name, bar);
  if (kept === "out") item.className = "left-out";
  return item;
}

function drawNext() {
  const temperature = Number($("temperature").value);
  const topP = Number($("top-p").value);
  $("temperature-value").textContent = decimal(temperature, 1);
  $("top-p-value").textContent = decimal(topP, 2);
  // as shown (0,8), not as the slider's value reads to assistive technology (0.8)
  $("temperature").setAttribute("aria-valuetext", decimal(temperature, 1));
  $("top-p").setAttribute("aria-valuetext", decimal(topP, 2));
  const dist = atTemperature(temperature);
  const notes = [T.next_exact];
  if (dist.twins) notes.push(T.next_merged);
  if (dist.low !== dist.high) notes.push(fill(T.next_bounds, { count: next.asked }));
  $("next-note").textContent = notes.join(" ");
  const said = { kept: "", out: T.left_out, perhaps: T.left_out_perhaps };
  let before = 0;  // the shown tokens' terms so far
  const bars = dist.terms.slice(0, SHOWN).map((term, i) => {
    const kept = nucleus(massBefore(dist, before), topP, i === 0);
    before += term;
    const text = visibleToken(next.listed[i].token);
    return nextBar(i, text, shareOf(dist, term, false), kept, said[kept]);
  });
  const others = dist.terms.slice(SHOWN).reduce((x, y) => x + y, 0);
  if (others > 0 || dist.high > 0) {
    // The first of the other tokens follows at most the shown ones' mass, and at least the
    // likeliest's (a twin), or without twins all of the shown ones'.
    const shownMass = shareOf(dist, before, false);
    const least = dist.twins ? dist.terms[0] / (dist.sum + dist.high) : shownMass[0];
    const kept = nucleus([least, shownMass[1]], topP, false);
    const note = topP >= 1 ? "" : { kept: T.nucleus_beyond, out: T.left_out, perhaps: T.nucleus_perhaps_beyond }[kept];
    bars.push(nextBar(bars.length, T.other_tokens, shareOf(dist, others, true), kept, note));
    bars[bars.length - 1].classList.add("others");
  }
  $("next").replaceChildren(...bars);
}

// The text's tokens and the next token's bars (`drawNext`), from what the server sent.
function drawLookInside(shown) {
  const { prompt } = shown;
  next = shown.next;
  const count = prompt.length.toLocaleString(document.documentElement.lang);
  $("tokens-caption").textContent = fill(counted("tokens_caption", prompt.length), { count });
  $("tokens").replaceChildren(...prompt.map((token) => {
    const item = document.createElement("li");
    item.textContent = visibleToken(token);
    // a screen reader would name the sign (or nothing): the space is said as a word
    if (token.includes(" ")) item.setAttribute("aria-label", token.replace(/ /g, ` ${T.space_word} `).trim());
    // ⟨E2 80⟩ said in words
    if (PART.test(token)) item.setAttribute("aria-label", fill(T.token_part, { bytes: item.textContent.slice(1, -1) }));
    return item;
  }));
  $("tokens-result").hidden = false;
  drawNext();
}

// What each layer would predict for `text`'s next token; null where the engine does not say
// (an engine elsewhere shows no layers).
async function lensOf(text) {
  try {
    return (await (await api("/v1/lens", { model: state.model, prompt: text, top: 3 })).json()).layers;
  } catch (error) {
    return null;
  }
}

function drawLens(layers) {
  if (!Array.isArray(layers)) {
    $("lens-part").hidden = true;
    return;
  }
  const shown = (t) => `${visibleToken(t.token)} (${decimal(t.probability * 100, 1)} %)`;
  $("lens").tBodies[0].replaceChildren(...layers.map((layer) => {
    const row = document.createElement("tr");
    const number = document.createElement("th");
    number.scope = "row";
    number.textContent = layer.layer;
    const guesses = document.createElement("td");
    guesses.textContent = layer.top.map(shown).join(" · ");
    row.append(number, guesses);
    return row;
  }));
  $("lens-part").hidden = false;
}

$("temperature").addEventListener("input", drawNext);
$("top-p").addEventListener("input", drawNext);

// What the look inside shows, for the language switch to carry (null: nothing shown).
function lookInsideCarried() {
  return lookedInside;
}

// What the language switch carried, drawn again in this page's language where it is of the
// model chosen and the text the field holds again; anything else is not what this page sent.
function restoreLookInside(carried) {
  const token = (t) => typeof t === "string";
  const listedOk = Array.isArray(carried?.next?.listed) && carried.next.listed.length > 0
    && carried.next.listed.every((c) => token(c?.token) && Number.isFinite(c?.p));
  const layersOk = carried?.lens === null || (Array.isArray(carried?.lens) && carried.lens.every((layer) =>
    Array.isArray(layer?.top) && layer.top.every((t) => token(t?.token) && Number.isFinite(t?.probability))));
  if (!listedOk || !layersOk || !Array.isArray(carried.prompt) || !carried.prompt.every(token)
      || !Number.isInteger(carried.next.asked) || !(carried.next.vocabulary === null || Number.isInteger(carried.next.vocabulary))
      || carried.model !== state.model || carried.text !== $("tokens-text").value) return;
  lookedInside = carried;
  drawLookInside(carried);
  drawLens(carried.lens);
}
