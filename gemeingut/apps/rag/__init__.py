"""Retrieval over a user's own documents, with citations that are checked.

`readers` turns PDF, DOCX, ODT, HTML, Markdown and text into passages that keep their page or
section; `chunking` cuts them into chunks that never cross a page; `index` keeps a collection on
disk (chunks, BM25, dense vectors) and updates it incrementally (its modules are listed there);
`retrieve` ranks by BM25, by dense similarity or by both (reciprocal rank fusion); `cite` checks
every `[n]` of an answer against the chunk it names; `answer` asks a chat endpoint with numbered
sources.
"""
