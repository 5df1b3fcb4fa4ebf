"""Sentences of a LICENSE file that grant rights rather than take them away.

`licence_additions` asks of each sentence a file adds to a licence's text whether it states a
condition. A sentence about the recipient and what they may do is suspect there ("you", "use
of", "change" beside "may" are how a licensor writes that it may alter the terms), but the most
common such sentence is a grant: "You may change this file", the Unlicense's "Anyone is free to
copy, modify, publish, use, compile, sell, or distribute this software … for any purpose,
commercial or non-commercial", ISC's "Permission to use, copy, modify, and/or distribute this
software for any purpose with or without fee is hereby granted", Apache-2.0's "each Contributor
hereby grants to You a perpetual, worldwide, non-exclusive, no-charge, royalty-free, irrevocable
copyright license to reproduce …". Such a sentence is recognised by its form: it opens with
whom the grant is to (or "Permission …", or a licensor that "hereby grants"), a verb of
permission ("may", "is free to", "is permitted to") and the acts granted (use, copy, change,
distribute …), with nothing but permissive attributes between ("perpetual, worldwide,
royalty-free"). `grant_clause` finds that opening; a sentence is a grant only where what it
says after that opening names no more than the work granted and its form, medium or means
(`only_the_work`: "this software, either in source code form or as a compiled binary, by any
means"); anything else there ("for research purposes", "in Germany", "on one computer") may
limit the grant, and the sentence is judged as a whole.

Words that state that there is no limit ("without restriction", "free of charge", "for any
purpose", "commercial or non-commercial", "even commercially") hold words a condition holds;
`without_limits` blanks them, so that the rest is judged.
"""

from __future__ import annotations

import re

_SEP = r"(?:\s*,\s*(?:and/or\s+|and\s+|or\s+)?|\s+(?:and/or|and|or)\s+|\s*/\s*)"
_ACT = (
    r"(?:(?:publicly|freely)\s+)?(?:use|copy|modify|change|alter|adapt|edit|merge|publish|"
    r"republish|distribute|redistribute|sublicen[cs]e|sell|resell|share|study|run|execute|"
    r"fork|translate|improve|reproduce|remix|transform|build\s+(?:on|upon)|deal\s+in|"
    r"download|host|deploy|embed|fine-tune|train|compile|display|perform|transmit|"
    r"(?:prepare|create|make)\s+derivative\s+works\s+(?:of|from|based\s+on)|"
    r"make\s+modifications\s+to)"
)
ACT = re.compile(rf"\b{_ACT}\b", re.IGNORECASE)
_ACT_LIST = rf"{_ACT}(?:{_SEP}{_ACT})*\b"
_RECIPIENT = (
    r"(?:you|anyone|anybody|everyone|everybody|any\s+person|(?:the\s+)?(?:users?|licensees?|"
    r"recipients?|public))"
)
_PERMITTED = (
    r"(?:may|can|(?:is|are)\s+(?:hereby\s+|also\s+)*(?:free|welcome|permitted|allowed|"
    r"entitled|authori[sz]ed)\s+to|ha(?:s|ve)\s+the\s+right\s+to|(?:is|are)\s+(?:hereby\s+)?"
    r"(?:granted|given)\s+(?:the\s+right|permission)\s+to)"
)
# the attributes a licence grants with, each of them a freedom ("limited", "revocable",
# "non-transferable" are not among them: a grant so qualified is judged word by word)
_ATTRIBUTE = (
    r"(?:perpetual|worldwide|world-wide|non-?exclusive|irrevocable|fully[- ]paid(?:-up)?|"
    r"sublicen[cs]able|transferable)"
)
_GRANT = re.compile(
    r"^[\W_]*(?:"
    # "You may change this file", "Anyone is free to copy …"
    rf"(?:(?:hereby|also|in\s+addition|furthermore|moreover),?\s+)?{_RECIPIENT}\s+"
    rf"{_PERMITTED}\s+(?:also\s+|freely\s+)?{_ACT_LIST}|"
    # MIT's form: "Permission is hereby granted, free of charge, to any person obtaining …"
    r"permission\s+(?:is|are)\s+(?:hereby\s+)?(?:granted|given)[\s,]*"
    rf"(?:to\s+{_RECIPIENT}(?:\s+obtaining\s+a\s+copy(?:\s+of\s+(?:this|the)"
    rf"(?:\s+[\w-]+){{1,4}}?)?)?[\s,]*)?to\s+{_ACT_LIST}|"
    # ISC's: "Permission to use, copy, modify, and/or distribute …"
    rf"permission\s+to\s+{_ACT_LIST}|"
    # Apache-2.0's: "each Contributor hereby grants to You a perpetual, … license to …"
    rf"(?:[\w&.'’-]+\s+){{1,3}}?hereby\s+grants?\s+(?:to\s+)?{_RECIPIENT}\s+(?:an?\s+)?"
    rf"(?:{_ATTRIBUTE}[\s,]*(?:and\s+)?)*(?:copyright\s+|patent\s+)?licen[cs]e\s+to\s+"
    rf"{_ACT_LIST}"
    r")",
    re.IGNORECASE,
)
# the passive that closes ISC's grant ("… is hereby granted"), after the acts
PASSIVE_GRANT = re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?granted\b", re.IGNORECASE)
# words that say there is no limit: of restriction, of charge, of purpose, of field
_NO_LIMIT = re.compile(
    r"\b(?:without\s+(?:any\s+)?(?:restrictions?|limitations?)(?:\s+of\s+any\s+kind)?|"
    r"(?:free\s+of|without|at\s+no)\s+(?:any\s+)?(?:charges?|costs?|fees?)|no[- ]charge|"
    r"royalty[- ]free|with\s+or\s+without\s+(?:a\s+)?fee|"
    r"for\s+(?:any|all|every)\s+purposes?|"
    r"commercial(?:ly)?\s+(?:or|and|as\s+well\s+as)\s+non-?commercial(?:ly)?|"
    r"non-?commercial(?:ly)?\s+(?:or|and|as\s+well\s+as)\s+commercial(?:ly)?|"
    r"(?:private(?:ly)?|personal(?:ly)?)\s+(?:or|and)\s+commercial(?:ly)?|"
    r"commercial(?:ly)?\s+(?:or|and)\s+(?:private(?:ly)?|personal(?:ly)?)|"
    r"(?:whether\s+)?commercial(?:ly)?\s+or\s+not|"
    r"(?:even|also|including)\s+commercial(?:ly|\s+(?:use|purposes|applications))?)\b",
    re.IGNORECASE,
)


def grant_clause(sentence: str) -> re.Match[str] | None:
    """The opening of `sentence` that grants the recipient rights (whom, "may", the acts),
    where it opens with one."""
    return _GRANT.match(sentence)


def without_limits(sentence: str) -> str:
    """`sentence` with the words that say there is no limit blanked (offsets kept)."""
    return _NO_LIMIT.sub(lambda m: " " * len(m.group()), sentence)


# What a grant is of and how, the only words that may follow it (`only_the_work`): the work
# ("this software", "the Llama Materials", "such Derivative Works", "copies of the Software",
# "it"), its form, medium and means, where the recipient puts it ("in your products"), and
# "freely", "as you like".
_THING = (
    r"(?:files?|software|models?|works?|materials?|code|source\s+code|weights|data|datasets?|"
    r"programs?|library|libraries|documentation|documents?|packages?|projects?|repository|"
    r"checkpoints?|adapters?|tokeni[sz]ers?|derivative\s+works?|derivatives?|modifications|"
    r"outputs?)"
)
# "in Source or Object form", "either in source code form or as a compiled binary"
_FORM = (
    r"(?:(?:in|as)\s+(?:an?\s+)?)?(?:source(?:\s+code)?|object(?:\s+code)?|binary|"
    r"compiled(?:\s+(?:binary|code))?)(?:\s+form)?"
)
# a name's words before the work ("the Llama Materials"), capitalised, or a plain attribute
_NAMED = r"(?:(?:(?-i:[A-Z][\w-]*)|original|modified|whole|entire|same)\s+){0,3}?"
_THE_WORK = re.compile(
    rf"\b(?:(?:copies|a\s+copy|parts?|portions?)\s+of\s+)?(?:(?:this|these|the|such|its|their|"
    rf"any|all|our)\s+{_NAMED}{_THING}(?:\s+thereof)?|it|them)\b|"
    rf"\b(?:either\s+)?{_FORM}(?:\s+(?:or|and)\s+{_FORM})?\b|"
    r"\bin\s+(?:any|all)\s+(?:media|medium|format)(?:\s+(?:or|and)\s+(?:media|medium|format))?\b|"
    r"\b(?:by|through)\s+any\s+means\b|\bwith\s+or\s+without\s+modifications?\b|"
    r"\bfreely\b|\bas\s+you\s+(?:like|wish|please|see\s+fit)\b|"
    r"\bin\s+(?:your|their)\s+(?:own\s+)?(?:products?|projects?|applications?|services?|"
    r"software|works?)\b",
    re.IGNORECASE,
)
_JOINERS = re.compile(r"(?:[\s,.;:!]|\b(?:and|or|either)\b)*", re.IGNORECASE)


def only_the_work(rest: str) -> bool:
    """Whether `rest`, what a sentence says after its grant (`grant_clause`, limits blanked by
    `without_limits`), names only the work granted and its form, medium or means."""
    return _JOINERS.fullmatch(_THE_WORK.sub(" ", rest)) is not None
