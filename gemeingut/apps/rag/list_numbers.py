"""A list item's number written as Word and Writer write it: 3, "c", "III", "03". A DOCX or
ODT stores no list number as text, only how its list counts (`docx_lists.py`,
`odt_lists.py`); the number is the place a citation names ("Ziffer 3", "Buchstabe c")."""

from __future__ import annotations

_ROMAN = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_MOST_LETTERED = 26 * 20  # a list's 520th item: "z" twenty times in Word


def written(value: int, style: str, repeated: bool = True) -> str:
    """`value` as a list writes it in `style`, named as Writer names them: "1", "a", "A",
    "i", "I", "" (no number), and "01" (Word's decimalZero); an unknown style (another
    script's digits) as digits. One place for both readers (`docx_lists`, `odt_lists`)."""
    if style in ("a", "A"):
        shown = letters(value, repeated)
    elif style in ("i", "I"):
        shown = roman(value)
    elif style == "01":
        shown = f"{value:02d}"
    elif style == "":
        shown = ""
    else:
        shown = str(value)
    return shown.upper() if style in ("A", "I") else shown


def roman(number: int) -> str:
    """`number` in lower-case Roman numerals ("xiv"); as digits where Roman numerals write
    none (0, negative numbers, 4000 and above)."""
    if not 0 < number < 4000:
        return str(number)
    written = ""
    for value, numeral in _ROMAN:
        count, number = divmod(number, value)
        written += numeral * count
    return written


def letters(number: int, repeated: bool) -> str:
    """`number` as lower-case letters: after "z" Word repeats the letter ("aa", "bb":
    `repeated`), Writer counts on as a spreadsheet names its columns ("aa", "ab"); as digits
    for 0 and negative numbers, and for a number no list reaches (a file's start value of
    999999999 would make a label of millions of letters for each of its items)."""
    if not 0 < number <= _MOST_LETTERED:
        return str(number)
    if repeated:
        return _LETTERS[(number - 1) % 26] * ((number - 1) // 26 + 1)
    written = ""
    while number:
        number, rest = divmod(number - 1, 26)
        written = _LETTERS[rest] + written
    return written
