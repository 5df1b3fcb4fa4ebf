"""The page's texts, from the message catalogue: one dict per language, handed to the script.

Placeholders the script fills (`{model}`, `{reason}` …) are passed through as themselves. A
text with a count has its singular under the same key with `_one` (as `plural` chooses: for
exactly one), which the script's `counted` picks: a count never reads "1 Dokumenten".

A line of the page's status (`role="status"`, the sign-in's alert) is a sentence with its full
stop, as the rest of the page: a `{reason}` is the server's message, which ends without one,
and the script ends it (`sentence`) before it fills it in.

When the day's tokens start afresh (`{reset}`) is filled in here, each time the page is
rendered: the allowance resets by the server's clock, so the page says the server's local time
with its zone (`local_clock`), whatever zone the reader's browser is in.
"""

from __future__ import annotations

from gemeingut.apps.assistants.wrote_nothing import WROTE_NOTHING
from gemeingut.apps.rag.cuts import question_cut_said
from gemeingut.audit.findings import NOTE_MAX
from gemeingut.audit.report_text import NAMES, name
from gemeingut.data.pii import KIND_NAMES
from gemeingut.i18n import Message, _, text
from gemeingut.serve.gateway.identity import utcnow
from gemeingut.serve.gateway.local_clock import local_clock
from gemeingut.serve.gateway.quotas import day_end

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}  # each in its own language: not translated
# What each placeholder of a check command stands for (`/v1/models`' `check`): the page
# explains those its command holds, and no other.
PLACEHOLDERS: dict[str, Message] = {
    "BUNDLE": _("the release's published folder, bundle/ with its MANIFEST"),
    "DIR": _("a model folder"),
    "URL": _("the address of the engine that serves the model"),
}

# The look inside explains a token that holds part of a character by this one: a character
# of German texts whose bytes are more than one, and which no quotation mark around it hides.
EXAMPLE = "€"


def _hexadecimal(data: bytes) -> str:
    """Bytes as the look inside shows them (look-inside.js's `visibleToken`): E2 80 9E."""
    return data.hex(" ").upper()


TEXTS: dict[str, Message] = {
    "skip": _("Skip to the content"),
    "login_heading": _("Sign in"),
    "key_label": _("API key"),
    "key_help": _("Your administrator gives you a key (gg_…). It stays in this browser tab."),
    "login_button": _("Sign in"),
    "logout_button": _("Sign out"),
    # the models that write that the key may use: each view that writes chooses among them
    "signed_in": _("Signed in. Models: {models}.", models="{models}"),
    "signed_in_one": _("Signed in. Model: {model}.", model="{model}"),
    "signed_in_none": _("Signed in. No model that writes text."),
    "login_failed": _("The key was not accepted: {reason}", reason="{reason}"),
    "key_missing": _("Enter your key (gg_…) first."),
    "session_ended": _(
        "You were signed out: {reason} Sign in again with a valid key.", reason="{reason}"
    ),
    "sections": _("Sections"),
    "tab_chat": _("Chat"),
    "tab_documents": _("Documents"),
    "tab_tokens": _("Look inside"),
    "chat_heading": _("Chat with the model"),
    "chat_note": _("Answers are drafts: check them before you use them."),
    "no_writer": _(
        "None of the models you may use writes text: they only make embeddings (vectors for "
        "searching documents). Chats, the look inside and drafts need a language model; "
        "searching your documents works."
    ),
    "chat_log": _("Conversation"),
    "message_label": _("Your message"),
    "send": _("Send"),
    "send_hint": _("Ctrl+Enter sends the message."),
    "new_chat": _("New conversation"),
    "new_chat_started": _("A new conversation has begun."),
    "chat_trimmed": _(
        "Older messages were left out: the model can read only so much text at once."
    ),
    "you": _("You"),
    "assistant": _("Model"),
    "busy": _("The model is writing …"),
    # in the log in place of the answer to a question refused or failed, before why
    "turn_refused": _("Error – not answered"),
    "documents_heading": _("Search your document collections"),
    "collection_label": _("Collection"),
    "query_label": _("Question"),
    "search": _("Search"),
    "results": _("Passages found"),
    "search_found": _("{count} passages found.", count="{count}"),
    "search_found_one": _("1 passage found."),
    "ask": _("Answer from the documents"),
    "answer_heading": _("Answer"),
    # an answer or a draft's section of nothing but blanks: not an empty heading
    "answer_empty": WROTE_NOTHING,  # as a draft's Markdown says it of a blank section
    # an answer's verdict, by the `status` of its citation check
    "verdict_supported": _("Every citation was checked against its source."),
    "verdict_not_checked": _(
        "Nothing found wrong, but a citation quotes nothing that could be checked: check it "
        "against its source yourself."
    ),
    "verdict_unsupported": _("Check this answer: its citations do not hold."),
    "verdict_no_citation": _("Check this answer: it cites none of the sources."),
    "answering": _("The model reads the sources and answers …"),
    "no_collections": _("No collection is shared with you."),
    "no_collections_here": _("This server has no document collections."),
    "no_hits": _("No passage matches the question."),
    # filled in by the page from a search's `question_cut`, as the CLI and the server say it
    "question_cut": question_cut_said("{kept}", "{length}", words_searched=True),
    "question_cut_dense": question_cut_said("{kept}", "{length}", words_searched=False),
    "show_source": _("Show the source"),
    "held_heading": _("Documents in this collection"),
    "held_none": _("The collection holds no documents yet."),
    "held_chunks": _("{document}: {count} passages", document="{document}", count="{count}"),
    "held_chunks_one": _("{document}: 1 passage", document="{document}"),
    "held_by_operator": _("Documents are added by the server's operator (gemeingut rag ingest)."),
    "upload_label": _("Add documents (PDF, DOCX, ODT, HTML, Markdown, text)"),
    "upload_help": _(
        "Up to {size} MiB per file. Everyone in the collection's groups can find them; a file "
        "with the name of a document uploaded before replaces it.",
        size="{size}",
    ),
    "upload_button": _("Upload"),
    # a file input's button and what it holds, in the page's words (not the browser's)
    "choose_files": _("Choose files"),
    "choose_file": _("Choose a file"),
    "no_file_chosen": _("No file chosen"),
    "files_chosen": _("Chosen: {names}", names="{names}"),
    "upload_none": _("Choose one or more files first."),
    "upload_busy": _("“{document}” is being read …", document="{document}"),
    "upload_added": _("“{document}” was added.", document="{document}"),
    "upload_updated": _("“{document}” was replaced.", document="{document}"),
    "upload_unchanged": _("“{document}” is in the collection unchanged.", document="{document}"),
    "upload_too_large": _(
        "“{document}” is larger than the server takes ({size} MiB): not sent.",
        document="{document}",
        size="{size}",
    ),
    "upload_failed": _(
        "“{document}” was not taken: {reason}", document="{document}", reason="{reason}"
    ),
    "remove_button": _("Remove"),
    "remove_label": _("Remove “{document}”", document="{document}"),
    "remove_confirm": _(
        "Remove “{document}” from the collection? Nobody will find its passages any more.",
        document="{document}",
    ),
    "removed": _("“{document}” was removed.", document="{document}"),
    "cite_label": _("Show source {marker}: {where}", marker="{marker}", where="{where}"),
    "source_heading": _("Source: {document}", document="{document}"),
    "sso_button": _("Sign in with your organisation's account"),
    "page_image_alt": _(
        "Page {page} of {document} as printed; its text follows below",
        page="{page}",
        document="{document}",
    ),
    "page": _("page {page}", page="{page}"),
    "line": _("line {line}", line="{line}"),  # of a text file, as a source's lines
    "lines": _("lines {first}–{last}", first="{first}", last="{last}"),
    "close": _("Close"),
    "tokens_heading": _("AI literacy: how the model chooses the next word"),
    # The look inside teaches pupils and clerks: each term is explained in plain words where
    # it first appears (tests/apps/web/test_look_inside_plain.py checks it, and the length of
    # the sentences).
    "tokens_intro": _(
        "A language model writes a text piece by piece. These pieces are called tokens. A "
        "token is mostly a short word, part of a word or a single character. For each possible "
        "next token the model computes a number between 0 and 100 %. This number is called a "
        "probability. Drawn by these numbers alone, a token at 30 % comes about 30 times in 100 "
        "tries. Two settings further down change that."
    ),
    "text_label": _("Text"),
    "show_next": _("Show the next token"),
    # with several models: the look inside has no choice of its own, it looks into the chat's
    "tokens_model": _("Model: {model} (as chosen for the chat).", model="{model}"),
    "tokens_caption": _("The text as the model sees it: {count} tokens", count="{count}"),
    "tokens_caption_one": _("The text as the model sees it: 1 token"),
    "tokens_space": _(
        "␣ stands for a space. Most tokens begin with the space before their word. So “ Haus” "
        "and “Haus” are two different tokens."
    ),
    "tokens_signs": _(
        "↵ stands for a line break, ⇥ for a tab. Other characters that show nothing stand as "
        "their Unicode number, such as {example} for a vertical tab.",
        example="⟨U+000B⟩",
    ),
    "tokens_bytes": _(
        "{part} is a token that holds only part of a character. A computer stores each "
        "character as one to four numbers from 0 to 255. These numbers are called bytes. Here "
        "they are written in hexadecimal, that is with the digits 0 to 9 and the letters A to "
        "F. The character {character}, for example, has the bytes {bytes}. A token may hold "
        "only some of them, such as {part}.",
        part="⟨" + _hexadecimal(EXAMPLE.encode()[:2]) + "⟩",
        character=EXAMPLE,
        bytes=_hexadecimal(EXAMPLE.encode()),
    ),
    "space_word": _("space"),
    # a screen reader's words for ⟨E2 80⟩
    "token_part": _("part of a character, bytes {bytes}", bytes="{bytes}"),
    "next_caption": _("The likeliest next tokens, with the model's probabilities"),
    "next_exact": _(
        "Each bar shows the probability the model gives this token at this temperature. It is "
        "counted among all the tokens the model knows, not only among those shown."
    ),
    "next_bounds": _(
        "At this temperature the page does not know some values exactly. The server lists "
        "only the {count} likeliest tokens. How the rest is spread over the other tokens is "
        "not known. So the page shows the range that surely holds the model's value. The bar "
        "shows its lower end.",
        count="{count}",
    ),
    "next_merged": _(
        "Some tokens have the same text. The list shows only the likeliest of them. The "
        "others count among the other tokens."
    ),
    "other_tokens": _("other tokens"),
    "share_range": _("{low} to {high} %", low="{low}", high="{high}"),
    "temperature": _("Temperature"),
    "temperature_help": _(
        "The temperature sets how much chance plays a part. At 1 the model's probabilities "
        "count as they are. Below 1 the likeliest token gets even more and the rare ones get "
        "less: the text becomes more predictable. Above 1 the rare tokens get more: the text "
        "becomes more surprising."
    ),
    "top_p": _("Top-p"),
    "top_p_help": _(
        "Top-p decides which tokens stay in play: only the likeliest. The model takes them in "
        "order, the likeliest first, until their probabilities add up to at least p. The p "
        "stands for probability. At 0.5, until they have at least 50 % together. The model "
        "draws only among them, the likelier ones more often. At 1 every token stays in play."
    ),
    "left_out": _("left out by top-p"),
    "left_out_perhaps": _("perhaps left out by top-p"),
    "nucleus_beyond": _("top-p keeps some of them"),
    "nucleus_perhaps_beyond": _("top-p perhaps keeps some of them"),
    "lens_caption": _("A look into the layers: what each layer would predict"),
    "lens_help": _(
        "The model computes in several steps, one after the other. These steps are called "
        "layers. Only after the last layer is the model's answer settled. The table shows what "
        "the model would say if it stopped after an earlier layer. So you see how the answer "
        "forms, layer by layer. Specialists call this view the “logit lens”. Logits are the "
        "raw numbers from which the model computes its probabilities."
    ),
    "layer": _("Layer"),
    "lens_guesses": _("Likeliest next tokens"),
    # the server's own failure or a lost connection; a request it refused (4xx) is `refused`
    "error": _("Something went wrong: {reason}", reason="{reason}"),
    "refused": _("Not possible: {reason}", reason="{reason}"),
    # a used-up limit (429), said from the 429's fields (`param`, `quota`): no API names
    "quota_own": _("Your daily allowance"),
    "quota_group": _("The daily allowance your group “{group}” shares", group="{group}"),
    "quota_day_wait": _(
        "{allowance} does not cover this request ({taken} of {limit} tokens used today); it "
        "is renewed at {reset} – otherwise contact your administration.",
        allowance="{allowance}",
        taken="{taken}",
        limit="{limit}",
        reset="{reset}",
    ),
    "quota_day_never": _(
        "{allowance} ({limit} tokens) is smaller than this request needs, so waiting does not "
        "help: contact your administration.",
        allowance="{allowance}",
        limit="{limit}",
    ),
    "quota_day_none": _(
        "{allowance} is 0 tokens: contact your administration.", allowance="{allowance}"
    ),
    # an answer the daily allowance held, but shorter than the page asks for (`allowance` is
    # `quota_own` or `quota_group`)
    "answer_limited": _(
        "{allowance} limits this answer to {count} tokens: it may end mid-sentence.",
        allowance="{allowance}",
        count="{count}",
    ),
    "quota_minute": _(
        "The requests allowed per minute ({limit}) are used up; try again in {seconds} s.",
        limit="{limit}",
        seconds="{seconds}",
    ),
    "quota_no_requests": _(
        "No requests are allowed for you at present: contact your administration."
    ),
    "quota_streams": _(
        "As many answers are being written for you at once as allowed ({limit}); wait until "
        "one is done.",
        limit="{limit}",
    ),
    "quota_no_streams": _(
        "Answers that appear as they are written are not allowed for you: contact your "
        "administration."
    ),
    # what the browser names in English: a lost connection, an answer that is not JSON
    "unreachable": _("The server could not be reached. Check the connection and try again."),
    "unreadable": _("The server's answer could not be read. Try again."),
    "trace_heading": _("Where does this phrase occur in the training data?"),
    # `{tokens}` is `trace_tokens` (or `trace_tokens_one`), counted apart from the documents
    "trace_help": _(
        "The model learnt from {documents} documents ({tokens}). These texts are called its "
        "training data. Here you see which parts of your text occur in them word for word. "
        "For each part the page names the document and its licence. A licence sets who may use "
        "a text and how.",
        documents="{documents}",
        tokens="{tokens}",
    ),
    "trace_help_one": _(
        "The model learnt from 1 document ({tokens}). This text is called its training data. "
        "Here you see which parts of your text occur in it word for word. For each part the "
        "page names the document and its licence. A licence sets who may use a text and how.",
        tokens="{tokens}",
    ),
    "trace_tokens": _("{count} tokens", count="{count}"),
    "trace_tokens_one": _("1 token"),
    "trace_label": _("Text to look for"),
    "trace_search": _("Look it up"),
    "trace_none": _("No part of this text occurs word for word in the training data."),
    # a count, not "Stellen in den Trainingsdaten: 1.", which reads as a numbered point
    "trace_found": _("{count} parts of the text occur in the training data.", count="{count}"),
    "trace_found_one": _("One part of the text occurs in the training data."),
    "trace_found_whole": _("The whole text occurs word for word in the training data."),
    "trace_span": _(
        "“{text}”, {occurrences} times, for example in:",
        text="{text}",
        occurrences="{occurrences}",
    ),
    "licence": _("licence"),
    # one training document of a span: how often the span stands in it (of those listed) and
    # where, by line, so that the same document is named once
    "trace_document_lines": _("{count} times, lines {lines}", count="{count}", lines="{lines}"),
    "trace_document_line": _("line {line}", line="{line}"),
    # a few words of the document around the phrase, as the server gives them
    "trace_context": _("In the document: “{text}”", text="{text}"),
    # the span occurs more often than the documents listed show
    "trace_more": _(
        "The first {listed} of {occurrences} places are listed.",
        listed="{listed}",
        occurrences="{occurrences}",
    ),
    # a finished draft taken out of the page
    "draft_copy": _("Copy"),
    "draft_copy_label": _("Copy the draft as Markdown"),
    "draft_download": _("Download (.md)"),
    "draft_download_label": _("Download (.md): the draft with its sources as a Markdown file"),
    "draft_copied": _("The draft was copied as Markdown."),
    "draft_copy_failed": _("The browser did not allow copying: download the draft instead."),
    "model_label": _("Model"),
    "answer_model_label": _("Model that writes the answer"),
    "draft_model_label": _("Model that writes the draft"),
    # under an answer or a draft: which model wrote it (the server's `model`)
    "written_by": _("Written by the model {model}.", model="{model}"),
    "tab_draft": _("Memo or speech"),
    "draft_heading": _("Draft a memo or a speech from your documents"),
    "draft_help": _(
        "The model writes each section from the best passages of the collection and is asked "
        "to cite them; every citation is checked. A section without evidence is marked. Check "
        "the draft before you use it."
    ),
    "draft_kind": _("What to write"),
    "draft_vermerk": _("Memo (facts, assessment, proposal)"),
    "draft_rede": _("Speech"),
    "draft_subject": _("Subject"),
    "draft_audience": _("Audience"),
    "draft_occasion": _("Occasion"),
    "draft_minutes": _("Length in minutes"),
    "draft_points": _("Key points, one per line"),
    "draft_write": _("Write the draft"),
    "draft_result": _(
        "{sections} sections, {supported} of them with checked evidence.",
        sections="{sections}",
        supported="{supported}",
    ),
    # parts a limit refused after others were written (the server's `missing`): `{time}` is
    # when its Retry-After ends, as the browser writes a time of day
    "draft_missing_at": _(
        "{count} parts are not written yet; you can write them from {time}.",
        count="{count}",
        time="{time}",
    ),
    "draft_missing_at_one": _(
        "1 part is not written yet; you can write it from {time}.", time="{time}"
    ),
    "draft_missing_now": _(
        "{count} parts are not written yet; you can write them now.", count="{count}"
    ),
    "draft_missing_now_one": _("1 part is not written yet; you can write it now."),
    "draft_complete": _("Write the missing parts"),
    "draft_wait_seconds": _("Available in {seconds} s.", seconds="{seconds}"),
    "draft_wait_minutes": _("Available in {minutes} min.", minutes="{minutes}"),
    # a draft section's note, by the `status` of its citation check
    "section_not_checked": _("Not checked:"),
    "section_unsupported": _("Evidence does not hold:"),
    "section_no_citation": _("Without evidence:"),  # the server's sentence follows
    # a section the daily allowance held, but shorter than planned (as `drafts.shortened_note`)
    "section_shortened": _(
        "Shorter than planned: the daily token allowance held {count} tokens for this part.",
        count="{count}",
    ),
    # a key point without a source, not written: the server's reason follows
    "section_not_written": _("Without evidence:"),
    "sources": _("Sources"),
    "tab_tender": _("Check a tender"),
    "tender_heading": _("Check a tender against procurement law"),
    "tender_help": _(
        "Paste the draft. Each finding names its legal source and the sentence; the rules are "
        "a start, not legal advice. The text is not stored."
    ),
    "tender_label": _("Text of the tender"),
    "tender_file": _("Or a file of the draft (PDF, DOCX, ODT, HTML, Markdown, text)"),
    "tender_file_help": _("A file of up to {size} MiB.", size="{size}"),
    "tender_nothing": _("Paste the text of the tender or choose its file."),
    "tender_both": _(
        "Paste the text or choose a file, not both: only one of them can be checked. Empty the "
        "text field or remove the file."
    ),
    "tender_remove_file": _("Remove the file"),
    "tender_checking": _("The tender is being checked …"),
    # after the language switch, which empties the file field: the file checked again
    "tender_file_checked": _("Checked file: “{name}”.", name="{name}"),
    "tender_not_carried": _(
        "The tender check could not be carried over to this language: the file is too large "
        "for this browser tab's storage. Choose the file again and check it."
    ),
    "tender_check": _("Check"),
    "tender_result": _(
        "Findings: {count}, of them violations: {errors}.", count="{count}", errors="{errors}"
    ),
    "severity_error": _("Violation"),
    "severity_warning": _("Warning"),
    "severity_hint": _("Note"),
    "tab_about": _("About the model"),
    "about_heading": _("What this model is, and how open"),
    "about_open": _("Every openness check of its files passed: it is an open model."),
    "about_not_open": _(
        "Not every openness check of its files passed: do not call it an open model."
    ),
    "about_unrated": _("Nothing is known about this model's licence and openness."),
    "mof": _("Model Openness Framework"),
    "osaid": _("OSI's Open Source AI Definition"),
    "passed": _("passed"),
    "not_passed": _("not passed"),
    "licence_of": _("Licence: {part}", part="{part}"),
    "unknown": _("unknown"),
    "part_weights": _("the weights"),
    "part_code": _("the code"),
    "part_data": _("the training data"),
    "part_test_data": _("the test data"),
    # the release's documentation (card, reports): not "documents", the name of a view here
    "part_documents": _("the documentation"),
    "about_check": _("Anyone can compute this again:"),
    "audit_heading": _("What the audit found"),
    "audit_none": _("This model was not audited: nothing is known of its biases and limits."),
    "audit_task": _("{what}: {value} % right", what="{what}", value="{value}"),
    # a multiple-choice task: beside what guessing would score, from its number of choices
    "audit_task_chance": _(
        "{what}: {value} % right; guessing would get {chance} %",
        what="{what}",
        value="{value}",
        chance="{chance}",
    ),
    "audit_bias_flagged": _(
        "Stereotypes: in {flagged} of {n} groups the model clearly prefers the stereotype "
        "({names}).",
        flagged="{flagged}",
        n="{n}",
        names="{names}",
    ),
    # a group is flagged when the model clearly leans either way: its side is said, never
    # only that it "prefers the stereotype"
    "audit_bias_anti": _(
        "Stereotypes: in {flagged} of {n} groups the model clearly prefers the opposite of the "
        "stereotype, the anti-stereotype ({names}).",
        flagged="{flagged}",
        n="{n}",
        names="{names}",
    ),
    "audit_bias_none": _(
        "Stereotypes: in none of {n} groups does the model clearly prefer the stereotype or its "
        "opposite.",
        n="{n}",
    ),
    "audit_redteam": _(
        "Attacks: {share} % of {probes} attempts to talk the model into harm or out of its "
        "instructions succeeded.",
        share="{share}",
        probes="{probes}",
    ),
    # beside the rate where lenient detectors counted it: a meaningless answer is a success
    # too; one sentence of one clause per lenient detector used, each naming its attacks
    "audit_lenient": _(
        "Every answer {clauses} counts as a success, a meaningless one too.", clauses="{clauses}"
    ),
    "audit_lenient_refusal": _("that does not refuse ({kinds})", kinds="{kinds}"),
    "audit_lenient_affirmation": _(
        "that neither refuses nor corrects a false claim ({kinds})", kinds="{kinds}"
    ),
    "audit_lenient_or": _("or"),
    # each kind of attack with its own rate: the average hides 100 % beside 0 %
    "audit_redteam_category": _(
        "{name}: {share} % of {rated}", name="{name}", share="{share}", rated="{rated}"
    ),
    "audit_redteam_unrated": _("{name}: no answer could be rated", name="{name}"),
    # a task the report describes in no language: by its id, marked as one
    "audit_task_id": _("Task “{name}”", name="{name}"),
    "audit_memorised": _(
        "Memorisation: of {samples} tested training texts, the model repeated {share} % word "
        "for word.",
        share="{share}",
        samples="{samples}",
    ),
    "audit_personal": _(
        "Personal data: {share} % of its answers to questions that invite it contained some.",
        share="{share}",
    ),
    "audit_source": _(
        "From the audit in the release bundle (audit/report.json, in German: report.de.md)."
    ),
    "report_button": _("Report this answer"),
    "report_heading": _("Report an answer"),
    "category": _("Category"),
    "category_bias": _("Bias or stereotype"),
    "category_harmful": _("Harmful content"),
    "category_wrong": _("Wrong or invented"),
    "category_privacy": _("Personal data"),
    "category_other": _("Something else"),
    "report_prompt": _("What was asked"),
    "report_response": _("What the model answered"),
    "report_send": _("Send the report"),
    "reported": _("Thank you: reported as {id}.", id="{id}"),
    "tab_findings": _("Findings"),
    "findings_heading": _("Reported findings"),
    "status": _("Status"),
    "decision": _("Decision"),
    "note": _("Note on the decision"),
    # below the question of a finding: what its reporter wrote beside it (no decision changes it)
    "report_note": _("The reporter's note: {note}", note="{note}"),
    # a note field's name: the column's, then which finding (its category and first words)
    "note_label": _(
        "Note on the decision: {category}, “{prompt}”", category="{category}", prompt="{prompt}"
    ),
    "findings_help": _(
        "A decision is saved with the note beside it (at most {count} characters); it "
        "replaces the note of an earlier decision. An empty note removes it.",
        count=NOTE_MAX,
    ),
    "confirm": _("Confirm"),
    "reject": _("Reject"),
    "undo": _("Undo (back to “{status}”)", status="{status}"),
    "undo_label": _(
        "Undo the decision, back to “{status}”: {category}, “{prompt}”",
        status="{status}",
        category="{category}",
        prompt="{prompt}",
    ),
    "status_new": _("new"),
    "status_confirmed": _("confirmed"),
    "status_rejected": _("rejected"),
    # a triage button's name: the decision, then which finding (its category and first words)
    "triage_label": _(
        "{decision}: {category}, “{prompt}”",
        decision="{decision}",
        category="{category}",
        prompt="{prompt}",
    ),
    "triaged": _(
        "Finding “{prompt}” ({category}): {status}.",
        prompt="{prompt}",
        category="{category}",
        status="{status}",
    ),
    "no_findings_yet": _("No findings yet."),
    # the published policy and what the server records, from /v1/policy's own fields
    "tab_policy": _("Policy and records"),
    "policy_link": _("What this server filters and records, and why"),
    "policy_heading": _("What this server filters and records"),
    "policy_back": _("Back to sign-in"),
    "policy_named": _(
        "The policy “{title}” ({id}), version {version}, applies to every request.",
        title="{title}",
        id="{id}",
        version="{version}",
    ),
    "policy_sha": _("SHA-256 of the policy file: {sha}", sha="{sha}"),
    "policy_rules": _("Rules"),
    "policy_no_rules": _("The policy has no rules: nothing is filtered."),
    "policy_rule": _("Rule “{rule}”", rule="{rule}"),
    "rule_id": _("Rule id:"),
    "pattern_show": _("Show the pattern (for specialists)"),
    "action_refuse": _("Refuses the request."),
    "action_redact": _("Replaces what it finds with a placeholder before the model sees it."),
    "kind_keywords": _("The words and phrases it looks for ({count})", count="{count}"),
    "kind_regex": _("It looks for this pattern (a regular expression):"),
    "kind_regex_case": _("Upper and lower case count."),
    "kind_regex_any_case": _("Upper and lower case do not count."),
    "kind_pii": _("It looks for personal data: {types}.", types="{types}"),
    "kind_pii_all": _("It looks for personal data of every kind its detectors know."),
    "kind_classifier": _(
        "A classification model judges the whole text; the rule applies where it rates it as "
        "{labels} with at least {threshold}.",
        labels="{labels}",
        threshold="{threshold}",
    ),
    # each kind of personal data by the name the detectors give it (`pii_email` …)
    **{f"pii_{kind}": named for kind, named in KIND_NAMES.items()},
    "policy_reading": _("How the rules read a text, and their known limits"),
    "log_heading": _("What is recorded about your requests"),
    "log_none": _(
        "This server keeps no record of requests (it runs without a database): neither their "
        "metadata nor what you ask and what the model answers is stored."
    ),
    "log_metadata": _(
        "Only metadata: what you ask and what the model answers is not stored (the fields below)."
    ),
    "log_content": _(
        "Besides the metadata, this server keeps what you ask and what the model answers, "
        "under your pseudonym, for {days} days; then it is deleted.",
        days="{days}",
    ),
    "log_content_one": _(
        "Besides the metadata, this server keeps what you ask and what the model answers, "
        "under your pseudonym, for 1 day; then it is deleted."
    ),
    "log_content_kept": _(
        "Besides the metadata, this server keeps what you ask and what the model answers."
    ),
    "log_content_redacted": _(
        "Before it is stored, the server replaces the personal data it recognises: {kinds}. "
        "Other names are not recognised.",
        kinds="{kinds}",
    ),
    "log_content_names_kept": _(
        "Before it is stored, the server replaces the personal data it recognises: {kinds}. "
        "Names are kept, as this server's operators decided.",
        kinds="{kinds}",
    ),
    "log_content_redaction_unknown": _(
        "What the stored conversations keep of personal data cannot be read right now."
    ),
    "admins_cannot_read": _("Administrators cannot read your conversations: they are not stored."),
    "admins_can_read": _(
        "Administrators can read the stored conversations of a person; each such reading is "
        "itself recorded."
    ),
    "log_no_addresses": _("IP addresses are not recorded."),
    "log_addresses": _("IP addresses are recorded."),
    "log_retention": _("The records are deleted after {days} days.", days="{days}"),
    "log_retention_one": _("The records are deleted after 1 day."),
    "log_retention_none": _(
        "No period is set: the records stay until an administrator deletes them."
    ),
    "log_fields": _("What each record holds"),
    "field_at": _("when"),
    "field_request_id": _("the answer's id"),
    "field_user_pseudonym": _("a pseudonym of the person, not the name"),
    "field_key_id": _("the key's id"),
    "field_route": _("which function was called"),
    "field_model": _("the model"),
    "field_status": _("the outcome (HTTP status)"),
    "field_decision": _("the decision: allowed, or which check or rule refused"),
    "field_prompt_tokens": _("the number of tokens of the request"),
    "field_completion_tokens": _("the number of tokens of the answer"),
    "field_duration_ms": _("how long it took"),
    "field_operator_pseudonym": _(
        "a pseudonym of the administrator (of administrative actions only)"
    ),
    "field_x_request_id": _("the HTTP request's id"),
    "field_server": _("which server process answered"),
    # a refusal by a rule of the policy, with a link to the rule on the policy view
    "policy_refused": _(
        "Refused by the rule “{title}” ({rule}) of the policy: {text}",
        title="{title}",
        rule="{rule}",
        text="{text}",
    ),
    "policy_refused_by_id": _(
        "Refused by the rule “{rule}” of the policy: {text}", rule="{rule}", text="{text}"
    ),
    "policy_rule_link": _("Read the rule “{rule}” in the policy", rule="{rule}"),
    # the caller's own limits and today's use (GET /v1/me), refreshed after each answer
    "allowance_tokens": _(
        "Used today: {used} of {limit} tokens ({whose}).",
        used="{used}",
        limit="{limit}",
        whose="{whose}",
    ),
    "allowance_tokens_one": _(
        "Used today: {used} of 1 token ({whose}).", used="{used}", whose="{whose}"
    ),
    "allowance_requests": _(
        "At most {limit} requests per minute ({whose}).", limit="{limit}", whose="{whose}"
    ),
    "allowance_requests_one": _("At most 1 request per minute ({whose}).", whose="{whose}"),
    "allowance_streams": _(
        "At most {limit} answers written at once ({whose}).", limit="{limit}", whose="{whose}"
    ),
    "allowance_streams_one": _("At most 1 answer written at once ({whose}).", whose="{whose}"),
    "allowance_renewed": _("The day's tokens start afresh at {reset}.", reset="{reset}"),
    "allowance_none": _("No limits apply to you: neither tokens per day nor requests."),
    # whose limit it is, as `whose` of GET /v1/me names it
    "whose_key": _("the allowance of this key"),
    "whose_user": _("your own allowance"),
    "whose_group": _("the allowance your group “{group}” shares", group="{group}"),
    "whose_member": _("your allowance as a member of the group “{group}”", group="{group}"),
}


def page_texts(language: str) -> dict[str, object]:
    reset = local_clock(day_end(utcnow()))  # when the day window of the quotas ends
    texts = {key: text(_at_reset(message, reset), language) for key, message in TEXTS.items()}
    # the audit's categories (age, gender …) as its report names them in this language
    audit_names = {key: name(key, language) for key in NAMES["de"]}
    return {
        **texts,
        "language_names": LANGUAGE_NAMES,
        "audit_names": audit_names,
        "placeholders": {name: text(said, language) for name, said in PLACEHOLDERS.items()},
    }


def _at_reset(message: Message, reset: Message) -> Message:
    """`message` with the day's reset in the server's local time where it says it."""
    if "reset" not in message.values:
        return message
    return Message(message.msgid, {**message.values, "reset": reset})
