#!/bin/sh
# Remakes the documents LibreOffice saves from the flat ODT sources here (README.md):
# an ODT, a DOCX as Word 2007-365 reads it and a PDF of each, as Writer's "Save as" and
# "Export as PDF" write them.
set -eu
cd "$(dirname "$0")"
for source in *.fodt; do
    soffice --headless --convert-to odt "$source"
    soffice --headless --convert-to "docx:MS Word 2007 XML" "$source"
    soffice --headless --convert-to pdf "$source"
done
