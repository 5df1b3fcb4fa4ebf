"""A multipart upload got a 415 whose example (`curl --data-binary @Vermerk.pdf -H
'Content-Type: application/octet-stream'`) had no `?filename=`: followed as written, it was
refused again, for the missing name. Now the example is this request's own address with the
file's name, and the key's header where the request sent one; copied as it stands (the key
put in), it uploads the file. Real HTTP on loopback."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from tests.serve.test_collection_uploads import NOTE, upload
from tests.serve.test_collection_uploads import collections as collections  # a fixture
from tests.serve.test_collection_uploads import uploading as uploading  # a fixture


def test_the_415_example_uploads_the_file_when_copied(
    uploading, collections, tmp_path: Path
) -> None:
    url, _, keys = uploading
    refused = upload(
        url,
        keys["eva"],
        "vergabe",
        NOTE.encode(),
        "a.md",
        **{"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert refused.status_code == 415, refused.text
    message = refused.json()["error"]["message"]
    command = re.search(r"curl .*$", message)[0]
    assert f"'{url}/v1/collections/vergabe/documents?filename=Vermerk.pdf'" in command, message
    (tmp_path / "Vermerk.pdf").write_bytes(NOTE.encode())  # not a PDF: refused as one, 400
    copied = command.replace("gg_…", keys["eva"])
    done = subprocess.run(
        [*shlex.split(copied), "-s", "-o", "-", "-w", "\n%{http_code}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.rstrip().endswith("400") and "document_not_taken" in done.stdout, done.stdout
