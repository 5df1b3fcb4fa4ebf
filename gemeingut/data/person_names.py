"""Find person names where German and English administrative text marks them as names.

No list of names is used: an open toolkit cannot ship one from an unfree source, and no list
knows every name. Instead a name counts where the text itself says a person follows — a form
of address (Herr, Frau, Mr, Mrs …), an academic title (Dr., Prof.), a signature (gez., i. A.),
a contact label (Ansprechpartnerin:) or a letter's closing (Mit freundlichen Grüßen) — and the
capitalised words after it have the shape of a name. Only the name is replaced; the address
and the titles stay ("Frau Dr. <PERSON_NAME>"), as they identify no one.

German capitalises every noun, so the shape alone misleads. What keeps nouns out:
- "Herr" and "Frau" used as nouns follow an article or an article and adjectives ("die Frau
  Kinder hat", "der schwangeren Frau Schutzmaßnahmen"); after a comma the article is a
  relative pronoun ("die Akte, die Frau Yilmaz …") and the address counts;
- function titles are skipped and, alone, are no name: "Frau Präsidentin", "Frau
  Bundesministerin" name an office, and who holds it the text does not say (a reader needs
  knowledge from outside), so they stay; "Frau Ministerin Schulze" gives the name after it;
- words built as abstract or collective nouns (-heit, -keit, -schaft, -ung …), form labels
  (Name, Vorname, Telefon), pronouns and articles end a name; a street (Dr.-Hans-Mohr-Straße)
  or a firm (Klinik Dr. Lehmann GmbH) is no person.
Known limits: a name without such a cue ("Anna Becker rief an") is not found, nor a given name
alone after "Liebe"/"Hallo", nor an address after an article ("Ein Herr Meyer rief an", "der
Antrag der Frau Schmidt"); a surname that is also an office ("Herr Kanzler") is taken as the
office; a noun right after a name goes with it ("Frau <PERSON_NAME>" for "Frau Schneider
Bescheid geben"); a person's name in a firm's or clinic's name counts ("Klinik Dr. Hartog").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[int, int]

# --- cues -----------------------------------------------------------------------------------

# What announces a person. The search for these is most of this detector's cost, so `re` is
# given few and rare first characters to skip ahead to: one alternative per capital letter
# (Herr and Hochachtungsvoll under H); a label is found at its colon, a German closing at the
# "ß" of "Grüße", "gez." and "i. A." at their full stop, and each is then read backwards.
# Every alternative starts with a plain character: one that starts with a group makes `re`
# try every position of the text (the search then took five times as long on federal laws).
_CUE = re.compile(
    r"H(?:errn?|r\.|ochachtungsvoll|ERRN?)|F(?:rau|räulein|RAU)|M(?:rs?\.?|s\.?|x\.?|iss|adam)"
    r"|S(?:ir|incerely)|D(?:r\.|res\.|ear)|Prof\.|I(?:m Auftrag|n Vertretung)"
    r"|Yours (?:sincerely|faithfully)|Kind regards|Best regards|Regards"
    r"|ß(?<=Grüß)en?|:(?<=[a-zäöü]:)|\.(?:(?<=gez\.)|(?<=i\.) ?[AV]\.)"
)
# The kind of each cue decides how much of a name must follow it.
_KIND_OF = {
    "Herr": "address_de", "Herrn": "address_de", "Hr.": "address_de",
    "HERR": "address_de", "HERRN": "address_de",  # in capitals, as forms and address blocks
    "Frau": "frau", "Fräulein": "frau", "FRAU": "frau",
    "Dr.": "academic", "Dres.": "academic", "Prof.": "academic",
    "Im Auftrag": "signed", "In Vertretung": "signed", ".": "signed",
    "Dear": "dear", ":": "label", "ß": "closing",
}  # fmt: skip
_LABEL = re.compile(
    r"(?:Ansprech(?:partner|person)|Sachbearbeiter|Bearbeiter|Kontaktperson|Unterzeichner"
    r"|Verfasser|Autor|Unterschrift|Name|Contact(?: person)?|Author|Signed|Signature)"
    r"(?:in|\*in|:in|/-?in|In)?\Z"
)
_GERMAN_CLOSING = re.compile(
    r"(?:Mit (?:freundlichen|besten|herzlichen|vielen) |(?:Freundliche|Viele|Beste|Herzliche) )"
    r"Grüß\Z"
)
# a closing stands on its own line; "i. A." or "Im Auftrag" may stand between it and the name
_CLOSING_TAIL = re.compile(
    r"[ \t]*[,.!]?[ \t]*\n(?:[ \t]*\n)?"
    r"(?:[ \t]*(?:i\.[ \u00a0]?[AV]\.|Im Auftrag|In Vertretung)[ \t]*\n)?"
)
_GERMAN_NOUN_CUES = ("address_de", "frau")
# after a closing's line, a label's colon or an academic title (read again whole), no space
_NO_SPACE_NEEDED = ("closing", "label", "academic")
# Cues after which one surname is enough; after the others the name must be first name and
# surname (or carry a title): "Kontakt: Bürgerbüro" is no person, "gez. Becker" is one.
_ONE_WORD_ENOUGH = ("address_de", "frau", "address_en", "academic", "signed")
_TITLED_CUES = ("academic", "address_de", "frau", "address_en")

# An article or determiner before "Herr"/"Frau" makes them nouns ("die Frau Kinder hat").
_DETERMINERS = frozenset({
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einem", "einen", "eines",
    "jede", "jeder", "jedem", "jeden", "jedes", "keine", "keiner", "keinem", "keinen", "kein",
    "diese", "dieser", "diesem", "diesen", "dieses", "jene", "jener", "jenem", "jenen", "welche",
    "welcher", "welchem", "welchen", "solche", "solcher", "solchen", "seine", "seiner", "seinem",
    "seinen", "ihre", "ihrer", "ihrem", "ihren", "meine", "meiner", "meinem", "unsere", "unserer",
    "unserem", "eure", "alle", "beide", "beiden", "mehrere", "viele", "einige", "andere",
    "anderen", "zwei", "drei", "vier"
})  # fmt: skip
# What may stand between an article and its noun: adjectives and participles ("der zu
# untersuchenden Frau", "der schwangeren oder stillenden Frau").
_BETWEEN_ARTICLE_AND_NOUN = re.compile(r"[a-zäöüß]+(?:e|en|er|em|es)|zu|und|oder|nicht|noch")

# --- the words after a cue ------------------------------------------------------------------

# Between the words of a name: spaces, and in running text one line break (laws and letters
# are wrapped: "Herrn Bodo\nBroschat"); a name after a closing or a label has its own line, as
# has one on the line after its cue (an address block: "Herrn\nMehmet Yıldırım\nHauptstraße").
_GAP = re.compile(r"[ \t\u00a0]+")
_WRAPPED_GAP = re.compile(r"[ \t\u00a0]*\n?[ \t\u00a0]*")
_OWN_LINE = ("closing", "label", "dear")
# what may follow a name on its own line: its end, a comma, a bracket (Anna Becker (Referat Z))
_ENDS_NAME = re.compile(r"[ \t\u00a0]*(?:\n|\Z|[,;.(])")
_EMPHASISED = re.compile(r"(\*\*|__)([^\W\d_]+(?:['’\-][^\W\d_]+)*)\1")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
_ACADEMIC = re.compile(
    r"(?:Prof\.|Dr(?:es)?\.(?:-Ing\.)?|Dipl\.-[^\W\d_]+\.?|Mag\.|PD)"
    r"(?:[ \u00a0]?(?:[a-zäöü]{1,6}\.|E\.[ \u00a0]?h\.)(?![^\W\d_]))*"  # Dr. med., Dr.-Ing. E. h.
)
_INITIAL = re.compile(r"[^\W\d_][a-z]?\.(?=[ \t\u00a0])")  # A. Becker, Wolfgang Th. Doehm
_PARTICLES = frozenset({
    "von", "vom", "zu", "zum", "zur", "van", "de", "del", "della", "di", "da", "du", "ten", "ter",
    "bin", "ibn", "al", "el",
})  # fmt: skip
_AFTER_PARTICLE = frozenset({"der", "den", "la", "le"})  # von der Leyen, van den Berg, de la Cruz

# Offices and roles, German, English and French, matched at a word's end (Bundesministerin,
# Oberbürgermeister) with inflection. "richter" and "meister" alone are frequent surnames, so
# they count as titles only inside a compound (Bundesrichterin, Bürgermeister).
_TITLE = re.compile(
    r"(?:\w*(?:minister|präsident|sekretär|kanzler|direktor|vorsitzend|abgeordnet|beauftragt"
    r"|kommissar|botschafter|senator|landrat|landrät|stadtrat|stadträt|vorsteher|dezernent"
    r"|referent|leiter|professor|dozent|doktor|kolleg|pfarrer|pastor|bischof|dekan|rektor"
    r"|notar|anwalt|anwält|präses|konsul|prokurist|geschäftsführer|beigeordnet|obmann|obfrau"
    r"|exzellenz|magnifizenz|eminenz|majestät|hoheit|kläger|beklagt|antragsteller|zeug"
    r"|sachverständig|gutachter|betreuer|vormund|nachbar|manager)"
    r"|\w+(?:richter|meister))(?:in|innen|e|en|er|es|n)?|(?:richter|meister)in(?:nen)?"
    r"|president|chair|chairman|chairwoman|chairperson|speaker|secretary|ambassador|mayor"
    r"|commissioner|governor|judge|justice|doctor|director|officer|inspector|deputy|colleague"
    r"|chancelier|président|ministre|secrétaire"  # French, beside German in treaties
)
# Words that are never (part of) a name here: articles, pronouns, form labels, greetings.
_NOT_NAMES = frozenset({
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "und", "oder",
    "sie", "ihr", "ihre", "ihnen", "ihrem", "ihren", "ihrer", "ich", "wir", "es", "er", "bitte",
    "name", "namen", "vorname", "vornamen", "familienname", "nachname", "geburtsname", "titel",
    "anschrift", "adresse", "straße", "telefon", "tel", "fax", "e-mail", "datum", "ort",
    "unterschrift", "herr", "herrn", "herren", "frau", "frauen", "fräulein", "damen", "kollegen",
    "kolleginnen", "the", "a", "an", "and", "or", "of", "for", "your", "you", "we", "i", "it",
    "this", "that", "sir", "madam", "dear", "regards", "all", "team", "customer", "customers",
    "members", "colleagues", "telephone", "phone", "email", "address", "date", "signature",
    "amts", "mr", "mrs", "ms", "mx", "miss", "hr", "dr", "prof"
})  # fmt: skip
# Abstract and collective nouns, and units of an organisation (compounds: Bürgerbüro), end a
# name; "-ung" only in long words, since Jung and Hornung are surnames.
_NOUN = re.compile(
    r".*(?:heit|heiten|keit|keiten|schaft|schaften|ungen|tion|tionen|ismus|nisse|täten"
    r"|..amt|ämter|..stelle|..büro|referat|abteilung|zentrale|sekretariat|behörde|ministerium"
    r"|gericht|verwaltung|kommission|verband|verein|institut|gruppe|..dienst|..service"
    r"|klinik|kliniken|klinikum|zentrum|zentren|krankenhaus|praxis|schule|center|centre"
    r"|department|office|division|committee|council|agency|authority|ministry|team)"
    r"|.{5,}ung"
)
_STREET = re.compile(r".*(?:straße|strasse|str\.|allee|gasse|platz|weg|ufer|damm|chaussee|-ring)")
_FIRM = re.compile(r"[ \t\u00a0]*(?:GmbH|gGmbH|AG|KG|OHG|SE|UG|mbH|e\.\s?V\.|&\s?Co)\b")


def find_person_names(text: str) -> Iterator[Span]:
    """Where a name follows a cue in `text`, in order and apart (the name only, not the cue)."""
    last = 0
    for found in _CUE.finditer(text):
        cue = _cue_at(text, found)
        if cue is None or cue[0] < last:
            continue
        start, end, kind = cue
        if kind in _GERMAN_NOUN_CUES and _after_an_article(text, start):
            continue
        # an academic cue is read again whole, as the titles before a name are (Dr.-Ing. E. h.)
        span = _name_after(text, start if kind == "academic" else end, kind)
        if span is not None:
            yield span
            last = span[1]


def _cue_at(text: str, found: re.Match[str]) -> tuple[int, int, str] | None:
    """A cue's start, end and kind, where `found` is one standing as a word of its own."""
    head, start, end = found.group(), found.start(), found.end()
    kind = _kind(head)
    if head[0] in ":ß":  # read backwards: which label or closing ends here
        ends = _LABEL if head == ":" else _GERMAN_CLOSING
        before = ends.search(text, max(0, start - 40), start + (head != ":"))
        if before is None:
            return None
        start = before.start()
    elif head[0] == ".":
        start -= 3 if text[start - 3 : start] == "gez" else 1
    if not _cue_starts_a_word(text, start):
        return None
    if kind == "closing":
        tail = _CLOSING_TAIL.match(text, end)
        if tail is None:
            return None
        end = tail.end()
    elif head[-1].isalpha() and text[end : end + 1].isalnum():
        return None  # "Herrnhut", "Missing": the start of a longer word
    return start, end, kind


def _kind(head: str) -> str:
    """The kind of cue that `head`, the text `_CUE` matched, begins."""
    if head in _KIND_OF:
        return _KIND_OF[head]
    if head[0] in ":.ß":
        return _KIND_OF[head[0]]
    if head.startswith(("Mr", "Ms", "Mx", "Miss", "Madam", "Sir")):
        return "address_en"
    return "closing"  # Hochachtungsvoll, Sincerely, Yours faithfully, Kind regards


def _cue_starts_a_word(text: str, start: int) -> bool:
    """Whether the cue begins a word: not in "Ehe-Frau" or "ImHerrn"."""
    before = text[start - 1 : start]
    return not (before.isalnum() or before in ("-", ".", "_", "'", "’"))


def _after_an_article(text: str, start: int) -> bool:
    """Whether the words before position `start` make the next word a noun: an article, maybe
    with adjectives between ("die schwangere Frau"); not after a comma, where the article is a
    relative pronoun ("die Akte, die Frau Yilmaz schickte")."""
    words = text[max(0, start - 80) : start].split()[-6:]
    for back in range(len(words) - 1, -1, -1):
        word = words[back].strip("(„“\"'*_")
        if word.lower() in _DETERMINERS:
            comma_before = back > 0 and words[back - 1].endswith(",")
            return not (comma_before and word.islower())
        if not _BETWEEN_ARTICLE_AND_NOUN.fullmatch(word):
            return False
    return False


def _name_after(text: str, position: int, kind: str) -> Span | None:
    """The span of the name that the words after a cue (ending at `position`) hold, if any:
    titles first, then given names, initials and particles, and a surname last."""
    titled = kind in _TITLED_CUES
    name: list[tuple[int, int, bool]] = []  # (start, end, whether a full word)
    first, own_line = True, kind in _OWN_LINE
    while len(name) < 7:
        at = _next_word(text, position, kind, first, own_line)
        if at is None:
            break
        own_line = own_line or (first and "\n" in text[position:at])
        first = False
        token, end = _token(text, at, kind, name)
        if token == "title":
            titled, position = True, end
            continue
        if token == "stop":
            break
        if token == "no person":
            return None
        name.append((at, end, token == "word"))
        position = end
        if sum(full for _, _, full in name) == 4:
            break
    while name and not name[-1][2]:
        name.pop()  # an initial or a particle alone ends no name
    if not name or not _whole(text, name, kind, titled):
        return None
    return name[0][0], name[-1][1]


def _token(text: str, at: int, kind: str, name: list[tuple[int, int, bool]]) -> tuple[str, int]:
    """What the word at `at` is in a name — title, initial, particle, word — or whether it
    ends the name ("stop") or shows that no person is meant ("no person"); and its end."""
    if not name:
        academic = _ACADEMIC.match(text, at)
        if academic:
            return "title", academic.end()
    initial = _INITIAL.match(text, at)
    if initial and initial.group()[0].isupper():
        return "initial", initial.end()
    emphasised = _EMPHASISED.match(text, at)  # Markdown: Dr. Fritz **Becker**
    word = _WORD.match(text, at) if emphasised is None else emphasised
    if word is None:
        return "stop", at
    if _STREET.fullmatch(word.group().lower()) or _FIRM.match(word.group()):
        # Dr.-Hans-Mohr-Straße, Klinik Dr. Lehmann GmbH; on the next line, a name's address
        wrapped = bool(name) and "\n" in text[name[-1][1] : at]
        return ("stop" if wrapped else "no person"), at
    value = word.group().removesuffix(".") if emphasised is None else emphasised.group(2)
    end = at + len(value) if emphasised is None else emphasised.end()
    lower = value.lower()
    after_particle = bool(name) and not name[-1][2]
    if lower in _PARTICLES or (after_particle and lower in _AFTER_PARTICLE):
        return ("particle", end) if _capitalised_follows(text, end) else ("stop", at)
    if _TITLE.fullmatch(lower):
        # before the name an office ("Frau Ministerin Schulze"), after it the end
        return ("stop", at) if name or not value[0].isupper() else ("title", end)
    if not _name_shaped(value, kind) or lower in _NOT_NAMES or _NOUN.fullmatch(lower):
        return "stop", at
    return "word", end


def _whole(text: str, name: list[tuple[int, int, bool]], kind: str, titled: bool) -> bool:
    """Whether the words found make a person's name after a cue of `kind`."""
    full_words = sum(full for _, _, full in name)
    if kind not in _ONE_WORD_ENOUGH and full_words < 2 and not titled:
        return False
    if kind in _OWN_LINE and not _ENDS_NAME.match(text, name[-1][1]):
        return False  # "Name: International Science and Technology Center"
    return not _FIRM.match(text, name[-1][1])


def _next_word(text: str, position: int, kind: str, first: bool, own_line: bool) -> int | None:
    """Where the next word starts. The first word after a cue may stand on the next line, the
    others only where the name does not stand on a line of its own; after a closing or a
    label's colon the first needs no space."""
    found = (_GAP if own_line and not first else _WRAPPED_GAP).match(text, position)
    if found is None or (found.end() == position and not (first and kind in _NO_SPACE_NEEDED)):
        return None
    return found.end()


def _name_shaped(word: str, kind: str) -> bool:
    """A capital first and small letters after it; all capitals (MÜLLER, as forms write
    surnames) only after a form of address."""
    if not word[0].isupper() or len(word) < 2:
        return False
    if word[1].islower() or word[1] in "'’":  # Müller, McDonald, O'Brien; not ABz, not GmbH
        return True
    return kind in ("address_de", "frau", "address_en") and len(word) >= 3


def _capitalised_follows(text: str, position: int) -> bool:
    """Whether a particle (von, de) stands before a name or another particle (von der Leyen)."""
    spaced = _GAP.match(text, position)
    if spaced is None:
        return False
    following = _WORD.match(text, spaced.end())
    return following is not None and (
        following.group()[0].isupper() or following.group() in _AFTER_PARTICLE
    )
