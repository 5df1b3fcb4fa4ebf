"""A PDF as Chromium, Word and LaTeX write it: "ff", "fi", "fl", … each stored as one ligature
glyph whose text is the ligature's code point (a ToUnicode map to U+FB00–FB06), written by hand
so that the code points are known."""

from pathlib import Path

# The font's codes 1–5 draw the ligatures fi, fl (Helvetica has their glyphs), ff, ffi, st.
_CODES = {"\ufb01": 1, "\ufb02": 2, "\ufb00": 3, "\ufb03": 4, "\ufb06": 5}
_LATIN_1 = [*range(0x20, 0x7F), *range(0xA0, 0x100)]  # the other codes: WinAnsi's Latin-1
_TO_UNICODE = (
    "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
    "/CMapName /Ligatures def /CMapType 2 def\n"
    "1 begincodespacerange <00> <FF> endcodespacerange\n"
    f"{len(_CODES)} beginbfchar\n"
    + "".join(f"<{code:02X}> <{ord(char):04X}>\n" for char, code in _CODES.items())
    + "endbfchar\n"
    f"{len(_LATIN_1)} beginbfrange\n"
    + "".join(f"<{c:02X}> <{c:02X}> <{c:04X}>\n" for c in _LATIN_1)
    + "endbfrange\nendcmap CMapName currentdict /CMap defineresource pop end end\n"
)


def write_ligature_pdf(path: Path, lines: list[str]) -> Path:
    """One page with `lines` (ASCII and the ligatures of `_CODES`) in Helvetica, a ligature
    stored as its one code, as a PDF printer stores it."""
    shown = []
    for number, line in enumerate(lines):
        codes = "".join(f"\\{_CODES[c]:03o}" if c in _CODES else c for c in line)
        codes = codes.replace("(", "\\(").replace(")", "\\)")
        shown.append(f"BT /F1 12 Tf 72 {720 - 18 * number} Td ({codes}) Tj ET")
    content = "\n".join(shown).encode("latin-1")
    cmap = _TO_UNICODE.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 1 /LastChar 126 "
        b"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding "
        b"/Differences [1 /fi /fl /ff /ffi /st] >> /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap), cmap),
    ]
    data = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    path.write_bytes(bytes(data))
    return path
