"""What the page's tests of answers share: a model whose writing is replaced, so that its
answers cite as a test needs (the tiny random model cites nothing), and a tab signed in to a
server on loopback without a gateway (no key)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from gemeingut.serve.backends import GenerationResult, Prompt, SamplingParams, TransformersBackend
from tests.apps.web.conftest import TIMEOUT, seeded_answers


class CitingBackend(TransformersBackend):
    """The tiny model, except that every answer it writes is `answer` of its prompt."""

    def __init__(self, folder: Path, answer: Callable[[str], str]) -> None:
        super().__init__(folder, model_name="winzig")
        self.answer = answer

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        answers = [self.answer(str(p)) for p in prompts]
        return [
            GenerationResult(
                answer,
                len(self.tokenize(str(p))),
                len(self.tokenize(answer, add_special_tokens=False)),
                "stop",
            )
            for p, answer in zip(prompts, answers, strict=True)
            for _ in range(n)
        ]


def signed_in_page(browser, url: str) -> Iterator[object]:
    """A fresh German tab on the page at `url`, signed in (a server without a gateway needs no
    key); closed after the test. A fixture's body: `yield from signed_in_page(browser, url)`."""
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    seeded_answers(context)
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    opened.goto(url + "/")
    opened.get_by_text("Angemeldet. Modell: winzig").wait_for()
    yield opened
    context.close()
