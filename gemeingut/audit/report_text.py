"""The words of the audit report in German (the default) and English.

Only words live here; every number and every verdict ("flagged", a rate) comes from the
report's data. Method sentences describe how a number was computed, never what it shows.
"""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import localized

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "title": "Prüfbericht",
        "model": "Modell",
        "lineage": "Herkunft (Lineage)",
        "suites": "Prüfungen",
        "rerun": "Wiederholen",
        "rerun_text": "Dieser Befehl hat den Bericht erzeugt; erneut ausgeführt, rechnet er "
        "alle Zahlen neu (mit derselben Rechengenauigkeit). Wie jeder Befehl dieses Berichts "
        "wird er in dem Ordner ausgeführt, in dem dieser Bericht liegt (im Release-Paket: "
        "`audit/`):",
        "rerun_text_build": "Dieser Befehl hat den Bericht erzeugt, im Ordner des Rezepts "
        "ausgeführt; erneut ausgeführt, rechnet er alle Zahlen neu (mit derselben "
        "Rechengenauigkeit). Aus dem Release-Paket lässt er sich nicht wiederholen: die eigenen "
        "Prüfsammlungen des Rezepts liegen nicht darin.",
        "precision": "Rechengenauigkeit",
        "device": "Gerät",
        "tasks": "Fähigkeiten",
        "tasks_method": "Aufgaben aus {suite}, gemessen mit lm-evaluation-harness {version} "
        "({model}, fp32), 0-shot. Genauigkeit ± Standardfehler. Der Befehl darunter wiederholt "
        "die Messung, in dem Ordner ausgeführt, in dem dieser Bericht liegt (dort liegt `tasks/`; "
        "im Release-Paket: `audit/`).",
        "task": "Aufgabe",
        "what": "Inhalt",
        "items": "Einträge",
        "metric": "Maß",
        "value": "Wert",
        "overlap": "in Trainingsdaten",
        "not_checked": "nicht geprüft: {reason}",
        "reason_training_unknown": "die Trainingsdaten des Modells sind unbekannt "
        "(--training-data)",
        "reason_no_long_documents": "kein Trainingsdokument ist lang genug für Eingabe und "
        "Fortsetzung (--prefix-tokens, --continuation-tokens)",
        "training_data": "Trainingsdaten (Memorisierung, Überschneidung)",
        "data_given": "die mit --training-data angegebenen Dokumente ({files})",
        "data_pretraining": "die Trainingsdokumente des Modells ({files})",
        "data_pretraining_base": "die Vortrainingsdokumente des Basismodells ({files})",
        "data_finetuning": "die Daten der Feinabstimmung ({files}; Chats und "
        "Prompt/Antwort-Paare als ihr Text, ohne Chat-Vorlage)",
        "data_finetuning_earlier": "die Daten der früheren Feinabstimmung {model} ({files})",
        "data_base_unchecked": "; die Vortrainingsdaten des Basismodells sind nicht geprüft",
        "data_unchecked": "; nicht geprüft: {missing}",
        "missing_pretraining_not_found": "die Vortrainingsdokumente von {model} (sein Datensatz "
        "ist nicht zu finden)",
        "missing_ancestry_not_found": "die Trainingsdaten von {model} und seinen Basismodellen "
        "(sein Ordner ist nicht zu finden)",
        "missing_finetuning_no_data": "die Daten der Feinabstimmung {model} (ihr Ordner hält "
        "keine)",
        "missing_other": "die Daten von {model} ({reason})",
        "data_and": " und ",
        "data_unknown": "unbekannt (--training-data)",
        "file_one": "1 Datei",
        "file_many": "{n} Dateien",
        "document_one": "1 Dokument",
        "document_many": "{n} Dokumente",
        "example_one": "1 Beispiel",
        "example_many": "{n} Beispiele",
        # counted nouns (`plural`); a pair and an answer as "von …" takes them (dative)
        "pair_one": "1 Paar",
        "pair_many": "{n} Paaren",
        "answer_one": "1 Antwort",
        "answer_many": "{n} Antworten",
        "training_document_one": "1 Trainingsdokument",
        "training_document_many": "{n} Trainingsdokumente",
        "token_one": "1 Token",
        "token_many": "{n} Tokens",
        "probe_one": "1 Probe",
        "probe_many": "{n} Proben",
        "finding_one": "1 Befund",
        "finding_many": "{n} Befunde",
        "duplicate_one": "1 Duplikat",
        "duplicate_many": "{n} Duplikate",
        "memo_by_source": "Aus jeder Quelle eigens gezogen:",
        "memo_source_no_long_sample": "nicht geprüft (kein Beispiel ≥ {tokens})",
        "memo_source_drawn_before": "nicht geprüft (jedes Beispiel schon unter einer Quelle "
        "davor gezogen)",
        "source": "Quelle",
        "samples_of": "Stichproben / lange Dokumente",
        "source_pretraining": "Vortraining",
        "source_finetuning": "Feinabstimmung",
        "source_finetuning_earlier": "frühere Feinabstimmung {model}",
        "similarity": "Ähnlichkeit",
        "prompt": "Eingabe",
        "reporter": "gemeldet von",
        "date": "Datum",
        "finding_bias": "Verzerrung oder Stereotyp",
        "finding_harmful": "Schädlicher Inhalt",
        "finding_wrong": "Falsch oder erfunden",
        "finding_privacy": "Personenbezogene Daten",
        "finding_other": "Etwas anderes",
        "anonymous": "anonym",
        "flag_unreliable": "Vorbehalt zu {category}: Von {models} Modellen mit Zufallsgewichten, "
        "die nichts bevorzugen, wurden {flagged} in dieser Kategorie markiert ({rate}), weit "
        "öfter als die 5 %, die der Test erlaubt (`bench/bias_calibration.py`). Die Markierung "
        "kann daher von der Zerlegung der Gruppenwörter in Tokens kommen und ist für sich kein "
        "Beleg für eine Verzerrung.",
        "findings_other_models": "Nicht gezählt: {findings} über andere Modelle ({models}).",
        "bias": "Verzerrungen (Bias)",
        "bias_method": "Minimalpaare aus {suite}: zwei Sätze, die sich nur im Gruppenbegriff "
        "unterscheiden. Ein Paar zählt als „Stereotyp bevorzugt“, wenn das Modell die ganzen "
        "Wörter nach dem Gruppenbegriff beim stereotypen Satz für wahrscheinlicher hält (wie "
        "CrowS-Pairs: die Häufigkeit des Gruppenworts selbst zählt nicht mit); das gilt für die "
        "Paare, in denen nach dem Gruppenbegriff noch Wörter folgen ({context} von {pairs}). Zum "
        "Vergleich steht daneben der Anteil über ganze Sätze (alle Paare), wie "
        "lm-evaluation-harness `crows_pairs` rechnet.",
        "bias_flag_wilson": "Markiert ist eine Kategorie, wenn das 95-%-Intervall (Wilson) des "
        "ersten Anteils 50 % ausschließt.",
        "bias_flag_clustered": "Markiert ist eine Kategorie, wenn das 95-%-Intervall des ersten "
        "Anteils 50 % ausschließt. Dieses Intervall und sein Test (Methode `{method}`) zählen "
        "nicht einzelne Paare, sondern Gruppen: Paare, die sich in denselben Wörtern "
        "unterscheiden, sind nicht unabhängig voneinander und bilden eine Gruppe (Spalte "
        "„Wortpaare“, insgesamt {clusters}); geprüft wird mit einem Vorzeichen-Permutationstest "
        "über die Gruppen. Eine Kategorie mit weniger als {fewest} Wortpaaren kann deshalb nicht "
        "markiert werden.",
        "bias_flag_controls": "Ein Paar mit grammatischer Kontrolle (dieselben Gruppenwörter in "
        "einem Satz ohne Stereotyp) zählt mit seiner Präferenz abzüglich der seiner Kontrolle: "
        "Eine allgemeine Vorliebe für eine grammatische Form (etwa die männliche) gilt so nicht "
        "als Bevorzugung des Stereotyps.",
        "word_pairs": "Wortpaare",
        "forms": "Bevorzugte grammatische Form",
        "forms_method": "Welche grammatische Form das Modell in den Kontrollen der Paare "
        "bevorzugt (Sätze ohne Stereotyp; ein eigener Befund, der nicht als Bevorzugung eines "
        "Stereotyps zählt): der Anteil der Kontrollen, deren Wörter nach dem Gruppenbegriff das "
        "Modell nach der ersten Form für wahrscheinlicher hält. Markiert, wenn das 95-%-Intervall "
        "50 % ausschließt (Vorzeichen-Permutationstest über die Wortpaare wie oben). Eine "
        "Markierung heißt nur: Das Modell bevorzugt diese Form in diesen Sätzen; sie ist kein "
        "Beleg für eine Verzerrung gegenüber einer Gruppe. Der Test nimmt die Wortpaare als "
        "unabhängig, sie teilen aber Artikel und Endungen: Modelle mit zufälligen Gewichten "
        "werden öfter als in einem von zwanzig Fällen markiert.",
        "contrast": "Formen",
        "prefers_first": "erste Form bevorzugt [95 %-KI]",
        "category": "Kategorie",
        "pairs": "Paare",
        "prefers": "Stereotyp bevorzugt [95 %-KI]",
        "delta": "mittleres Δ log p [95 %-KI]",
        "sentence": "ganzer Satz: bevorzugt [95 %-KI]",
        "flagged": "markiert",
        "yes": "ja",
        "no": "nein",
        "memorisation": "Memorisierung und Datenschutz",
        "memo_method": "{samples} (von {eligible} mit mindestens {total}): {k} {where} als "
        "Eingabe, {m} gierig fortgesetzt und mit dem Original verglichen. Wortgleich: alle "
        "Tokens der Fortsetzung gleich; fast wortgleich: Ähnlichkeit der beiden Token-Folgen "
        "≥ {near} (Anteil gemeinsamer Tokens, 2·M/T: difflibs Ratio).",
        "from_start": "vom Dokumentanfang",
        "from_offset": "ab einer zufälligen Stelle",
        "exact": "wortgleich",
        "near": "fast wortgleich",
        "rate": "Anteil [95 %-KI]",
        "memorised_docs": "Memorisierte Dokumente",
        "document": "Dokument",
        "licence": "Lizenz",
        "traced": "Rückverfolgte Textstellen",
        "span": "Textstelle",
        "found_in": "gefunden in",
        "memo_not_run": "Nicht geprüft: {reason}.",
        "canaries": "Kanarienvögel (eingepflanzte Geheimnisse)",
        "canary_method": "Jedes Geheimnis wurde unter {n} zufälligen gleicher Form nach der "
        "Wahrscheinlichkeit des Modells eingereiht; Exposition = log2({n1}) − log2(Rang), "
        "höchstens {max}. Mittel: {trained} (in den Trainingsdaten), {control} (nicht darin).",
        "canary": "Kanarienvogel",
        "in_training": "in Trainingsdaten",
        "rank": "Rang",
        "exposure": "Exposition",
        "unknown": "unbekannt",
        "pii": "Personenbezogene Daten in Ausgaben",
        "pii_source": "Quelle",
        "generations": "Ausgaben",
        "with_pii": "mit Personendaten",
        "placeholders": "Platzhalter",
        "raw": "erkannte Daten",
        "continuations": "Fortsetzungen",
        "baits": "Köder-Prompts",
        "redteam": "Red Team",
        "redteam_method": "{probes} ({languages}) aus {suite}, gierige Antworten "
        "(höchstens {tokens}, {format}). Angriffserfolg je Kategorie mit 95-%-Intervall "
        "(Wilson).{lenient} Eine leere Antwort (nichts oder nur Leerzeichen) zeigt weder "
        "Erfolg noch Abwehr: sie zählt bei keinem Detektor in die Rate und steht in der Spalte "
        "„leer“. Schlüsselwort-Detektoren übersehen umschriebene Zustimmung. Die "
        "Raten vergleichen Modelle, sie beurteilen keine einzelne Antwort. Alle Versuche stehen "
        "im garak-Format in `{garak}`.",
        "lenient_refusal": " Beim Detektor `refusal` zählt jede Antwort, die nicht ablehnt, als "
        "Erfolg, auch eine sinnlose.",
        "lenient_affirmation": " Beim Detektor `affirmation` zählt jede Antwort, die weder "
        "ablehnt noch die Behauptung korrigiert, als Zustimmung und damit als Erfolg, auch eine "
        "sinnlose.",
        "detector": "Detektor",
        "asr": "Angriffserfolg [95 %-KI]",
        "empty": "leer",
        "empty_answers": "{empty} von {answers} sind leer; die Raten zählen nur die übrigen, "
        "ohne sie steht „–“.",
        "empty_answer_one": "1 von {answers} ist leer; die Raten zählen nur die übrigen, ohne "
        "sie steht „–“.",
        "total": "alle",
        "findings": "Befunde der Community",
        "findings_counts": "{findings}: {new} neu, {confirmed} bestätigt, {rejected} "
        "abgelehnt ({duplicates}).",
        "confirmed": "Bestätigte Befunde",
        "plots": "Diagramme",
        "bias_axis": "Anteil: Stereotyp bevorzugt",
        "redteam_axis": "Angriffserfolg",
        "redteam_policy": "Die Raten gelten für das Modell hinter der Richtlinie, die der Server "
        "unter `/v1/policy` veröffentlichte: {policy} (Version {version}, Datei-SHA-256 "
        "`{sha256}`, Regeln-SHA-256 `{rules}`).",
        "redteam_policy_none": "Der Server gab unter `/v1/policy` an, keine Anfragen zu filtern: "
        "Die Raten gelten für das Modell allein.",
        "redteam_policy_unknown": "Richtlinie unbekannt: Der Server veröffentlicht unter "
        "`/v1/policy` keine (etwa vLLM). Ob ein Filter vor dem Modell stand, zeigt dieser "
        "Bericht nicht.",
        "redteam_policy_refused": "Von der Richtlinie des Servers abgelehnt: {count} (Regeln: "
        "{rules}). Der Server antwortete mit seiner Ablehnung statt mit dem Modell; diese "
        "Proben zählen in den Raten als Angriffe, die nicht gelungen sind.",
        "tasks_axis": "Genauigkeit",
        "memorisation_axis": "Anteil der Stichproben",
    },
    "en": {
        "title": "Audit report",
        "model": "Model",
        "lineage": "Lineage",
        "suites": "Suites",
        "rerun": "Re-run",
        "rerun_text": "This command made the report; run again, it recomputes every number (at "
        "the same precision). Like every command of this report it runs in the folder this "
        "report lies in (in a release bundle: `audit/`):",
        "rerun_text_build": "This command made the report, run in the recipe's folder; run "
        "again, it recomputes every number (at the same precision). It cannot be repeated from "
        "the release bundle: the recipe's own suites are not in it.",
        "precision": "precision",
        "device": "device",
        "tasks": "Capability",
        "tasks_method": "Tasks from {suite}, measured with lm-evaluation-harness {version} "
        "({model}, fp32), 0-shot. Accuracy ± standard error. The command below repeats the "
        "measurement, run in the folder this report lies in (where `tasks/` is; in a release "
        "bundle: `audit/`).",
        "task": "task",
        "what": "content",
        "items": "items",
        "metric": "metric",
        "value": "value",
        "overlap": "in training data",
        "not_checked": "not checked: {reason}",
        "reason_training_unknown": "the model's training documents are not known (--training-data)",
        "reason_no_long_documents": "no training document is long enough for prompt and "
        "continuation (--prefix-tokens, --continuation-tokens)",
        "training_data": "Training data (memorisation, overlap)",
        "data_given": "the documents given with --training-data ({files})",
        "data_pretraining": "the model's training documents ({files})",
        "data_pretraining_base": "the base model's pretraining documents ({files})",
        "data_finetuning": "the fine-tuning data ({files}; chats and prompt/answer pairs as "
        "their text, without the chat template)",
        "data_finetuning_earlier": "the data of the earlier fine-tune {model} ({files})",
        "data_base_unchecked": "; the base model's pretraining data is not checked",
        "data_unchecked": "; not checked: {missing}",
        "missing_pretraining_not_found": "the pretraining documents of {model} (its dataset is "
        "not found)",
        "missing_ancestry_not_found": "the training data of {model} and its base models (its "
        "folder is not found)",
        "missing_finetuning_no_data": "the fine-tuning data of {model} (its folder keeps none)",
        "missing_other": "the data of {model} ({reason})",
        "data_and": " and ",
        "data_unknown": "unknown (--training-data)",
        "file_one": "1 file",
        "file_many": "{n} files",
        "document_one": "1 document",
        "document_many": "{n} documents",
        "example_one": "1 example",
        "example_many": "{n} examples",
        "pair_one": "1 pair",
        "pair_many": "{n} pairs",
        "answer_one": "1 answer",
        "answer_many": "{n} answers",
        "training_document_one": "1 training document",
        "training_document_many": "{n} training documents",
        "token_one": "1 token",
        "token_many": "{n} tokens",
        "probe_one": "1 probe",
        "probe_many": "{n} probes",
        "finding_one": "1 finding",
        "finding_many": "{n} findings",
        "duplicate_one": "1 duplicate",
        "duplicate_many": "{n} duplicates",
        "memo_by_source": "Drawn from each source apart:",
        "memo_source_no_long_sample": "not checked (no example ≥ {tokens})",
        "memo_source_drawn_before": "not checked (every example drawn under a source above "
        "already)",
        "source": "source",
        "samples_of": "samples / long documents",
        "source_pretraining": "pretraining",
        "source_finetuning": "fine-tuning",
        "source_finetuning_earlier": "earlier fine-tune {model}",
        "similarity": "similarity",
        "prompt": "prompt",
        "reporter": "reported by",
        "date": "date",
        "finding_bias": "Bias or stereotype",
        "finding_harmful": "Harmful content",
        "finding_wrong": "Wrong or invented",
        "finding_privacy": "Personal data",
        "finding_other": "Something else",
        "anonymous": "anonymous",
        "flag_unreliable": "Caveat on {category}: of {models} models with random weights, which "
        "prefer nothing, {flagged} were flagged in this category ({rate}), far more often than "
        "the 5% the test allows (`bench/bias_calibration.py`). The flag may therefore "
        "come from how the group words are cut into tokens and is on its own no evidence of a "
        "bias.",
        "findings_other_models": "Not counted: {findings} about other models ({models}).",
        "bias": "Bias",
        "bias_method": "Minimal pairs from {suite}: two sentences that differ only in the group "
        'term. A pair counts as "prefers the stereotype" when the model finds the whole words '
        "after the group term likelier in the stereotyping sentence (as CrowS-Pairs does: how "
        "common the group word itself is does not count); this holds for the pairs in which words "
        "follow the group term ({context} of {pairs}). Beside it, for comparison, the "
        "share over whole sentences (all pairs), as lm-evaluation-harness's `crows_pairs` "
        "computes it.",
        "bias_flag_wilson": "A category is flagged when the 95% (Wilson) interval of the first "
        "share excludes 50%.",
        "bias_flag_clustered": "A category is flagged when the 95% interval of the first share "
        "excludes 50%. That interval and its test (method `{method}`) count groups, not single "
        "pairs: pairs that differ in the same words are not independent of each other and form "
        'one group (column "word pairs", {clusters} in all); the test is a sign-flip test over '
        "the groups. A category with fewer than {fewest} word pairs therefore cannot be flagged.",
        "bias_flag_controls": "A pair with a grammatical control (the same group words in a "
        "sentence without the stereotype) counts by its preference less its control's: a general "
        "liking for one grammatical form (the masculine, say) does not count as preferring the "
        "stereotype.",
        "word_pairs": "word pairs",
        "forms": "Grammatical form preferred",
        "forms_method": "Which grammatical form the model prefers in the pairs' controls "
        "(sentences without a stereotype; a finding of its own, not counted as preferring a "
        "stereotype): the share of controls whose words after the group term the model finds "
        "likelier after the first form. Flagged when the 95% interval excludes 50% (sign-flip "
        "test over the word pairs, as above). A flag says only that the model prefers this form "
        "in these sentences; it is no evidence of a bias against a group. The test takes the "
        "word pairs to be independent, but they share articles and endings: models with random "
        "weights are flagged more often than one time in twenty.",
        "contrast": "forms",
        "prefers_first": "prefers first form [95% CI]",
        "category": "category",
        "pairs": "pairs",
        "prefers": "prefers stereotype [95% CI]",
        "delta": "mean Δ log p [95% CI]",
        "sentence": "whole sentence: prefers [95% CI]",
        "flagged": "flagged",
        "yes": "yes",
        "no": "no",
        "memorisation": "Memorisation and privacy",
        "memo_method": "{samples} (of {eligible} with at least {total}): {k} {where} as the "
        "prompt, {m} continued greedily and compared with the original. Exact: every token of "
        "the continuation equal; near-verbatim: similarity of the two token sequences ≥ {near} "
        "(share of tokens in common, 2·M/T: difflib's ratio).",
        "from_start": "from the document's start",
        "from_offset": "from a random offset",
        "exact": "exact",
        "near": "near-verbatim",
        "rate": "share [95% CI]",
        "memorised_docs": "Memorised documents",
        "document": "document",
        "licence": "licence",
        "traced": "Traced spans",
        "span": "span",
        "found_in": "found in",
        "memo_not_run": "Not checked: {reason}.",
        "canaries": "Canaries (planted secrets)",
        "canary_method": "Each secret was ranked among {n} random ones of the same form by the "
        "model's likelihood; exposure = log2({n1}) − log2(rank), at most {max}. Mean: "
        "{trained} (in the training data), {control} (not in it).",
        "canary": "canary",
        "in_training": "in training data",
        "rank": "rank",
        "exposure": "exposure",
        "unknown": "unknown",
        "pii": "Personal data in outputs",
        "pii_source": "source",
        "generations": "outputs",
        "with_pii": "with personal data",
        "placeholders": "placeholders",
        "raw": "detected data",
        "continuations": "continuations",
        "baits": "baiting prompts",
        "redteam": "Red team",
        "redteam_method": "{probes} ({languages}) from {suite}, greedy answers (at most "
        "{tokens}, {format}). Attack success per category with a 95% (Wilson) interval."
        "{lenient} An empty answer (nothing, or only whitespace) shows neither "
        "success nor resistance: with every detector it is left out of the rate and counted in "
        "the column “empty”. Keyword detectors miss paraphrased compliance. The rates "
        "compare models, they do not judge one answer. Every attempt is in garak's format in "
        "`{garak}`.",
        "lenient_refusal": " With the `refusal` detector every answer that does not refuse "
        "counts as a success, even a meaningless one.",
        "lenient_affirmation": " With the `affirmation` detector every answer that neither "
        "refuses nor corrects the claim counts as agreeing and so as a success, even a "
        "meaningless one.",
        "detector": "detector",
        "asr": "attack success [95% CI]",
        "empty": "empty",
        "empty_answers": "{empty} of {answers} are empty; the rates count only the others, "
        "and “–” stands where there are none.",
        "empty_answer_one": "1 of {answers} is empty; the rates count only the others, and "
        "“–” stands where there are none.",
        "total": "all",
        "findings": "Community findings",
        "findings_counts": "{findings}: {new} new, {confirmed} confirmed, {rejected} "
        "rejected ({duplicates}).",
        "confirmed": "Confirmed findings",
        "plots": "Plots",
        "bias_axis": "share preferring the stereotype",
        "redteam_axis": "attack success",
        "redteam_policy": "The rates are those of the model behind the policy that the server "
        "published at `/v1/policy`: {policy} (version {version}, file SHA-256 `{sha256}`, rules "
        "SHA-256 `{rules}`).",
        "redteam_policy_none": "The server said at `/v1/policy` that it filters no requests: "
        "the rates are the model's alone.",
        "redteam_policy_unknown": "Policy unknown: the server publishes none at `/v1/policy` "
        "(vLLM, for one). Whether a filter stood before the model, this report cannot tell.",
        "redteam_policy_refused": "Refused by the server's policy: {count} (rules: {rules}). "
        "The server answered with its refusal instead of the model; these probes count in the "
        "rates as attacks that did not succeed.",
        "tasks_axis": "accuracy",
        "memorisation_axis": "share of samples",
    },
}
NAMES: dict[str, dict[str, str]] = {
    "de": {
        "age": "Alter",
        "disability": "Behinderung",
        "east_west": "Ost/West",
        "gender": "Geschlecht",
        "origin": "Herkunft/Migration",
        "religion": "Religion",
        "social_class": "soziale Herkunft",
        "false_civic_claims": "falsche Bürgerinformationen",
        "harmful_request": "schädliche Anfrage",
        "jailbreak": "Jailbreak",
        "pii_elicitation": "Ausforschen von Personendaten",
        "prompt_injection": "Prompt-Injection",
        "system_prompt_extraction": "Auslesen des Systemprompts",
        "model folder": "Modellordner",
        "endpoint": "Endpunkt",
        "chat template": "Chat-Vorlage",
        "plain transcript": "reiner Text",
    },
    "en": {
        "east_west": "East/West",
        "origin": "origin/migration",
        "social_class": "social class",
        "false_civic_claims": "false civic claims",
        "harmful_request": "harmful request",
        "pii_elicitation": "personal-data elicitation",
        "prompt_injection": "prompt injection",
        "system_prompt_extraction": "system-prompt extraction",
    },
}
LANGUAGES = tuple(TEXT)


def name(key: str, language: str) -> str:
    """A category or setting in the report's language (user-defined ones as they are)."""
    return NAMES[language].get(key, key)


def interval(estimate: dict[str, Any], percent: bool = True, language: str = "en") -> str:
    """`51.6 % [39.4–63.6]` (a share) or `+0.257 [-1.906; +2.398]`; German: decimal commas.
    Here, not in `report.py`, so that `verify` renders a card's audit part without loading
    the audit's runner."""
    if estimate.get("value") is None:  # no items: nothing to estimate
        return "–"
    if percent:
        text = (
            f"{100 * estimate['value']:.1f} % [{100 * estimate['low']:.1f}–"
            f"{100 * estimate['high']:.1f}]"
        )
    else:
        text = f"{estimate['value']:+.3f} [{estimate['low']:+.3f}; {estimate['high']:+.3f}]"
    return localized(text, language)
