"""An engine's server-sent events read as an OpenAI stream: its text pieces, finish reason and
usage, its text whole (`utf16.py`), and what is no answer said as the engine's failure
(`EngineUnavailable`). Apart from `upstream.py`, which sends the requests and settles what a
stream relayed."""

from __future__ import annotations

import json
from typing import Any

from gemeingut.i18n import Message, _
from gemeingut.serve.backends.protocol import EngineUnavailable, GenerationResult
from gemeingut.serve.backends.utf16 import Halves, has_halves, whole


class EventReader:
    """The text pieces, finish reason and usage in an engine's server-sent events; their text
    whole (`utf16.py`: a half of a surrogate pair that one event ends with waits for the
    other half in the next). An event that is not JSON, or not in OpenAI's shape, and a
    stream that ends without saying that it finished are the engine's failure
    (`EngineUnavailable`: an error event naming it, a 502 in the record), not the server's;
    lines that are no data (SSE comments, `event:` lines) and chunks without choices are
    passed over."""

    def __init__(self, chat: bool) -> None:
        self.chat = chat
        self.text: list[str] = []
        self.finish = "length"
        self.usage: dict[str, Any] = {}
        self.halves = Halves()
        self.events = 0  # data lines read
        self.finished = False  # a finish reason or [DONE] came

    def pieces(self, line: bytes) -> list[str]:
        if line.startswith(b"data: "):
            data = line[6:]
        elif line.startswith(b"data:"):  # SSE: the space after the colon may be left out
            data = line[5:]
        else:
            return []
        self.events += 1
        if data == b"[DONE]":
            self.finished = True
            return []
        said = data.decode("utf-8", "replace")
        try:
            event = json.loads(said)
        except ValueError:
            raise _stream_failed(_("an event is not JSON")) from None
        if not isinstance(event, dict):
            raise _stream_failed(_("an event is not a JSON object"))
        halves = has_halves(said)
        if "error" in event:
            event = whole(event) if halves else event
            message = error_message(event) or json.dumps(event["error"], ensure_ascii=False)
            raise _stream_failed(message)
        usage = event.get("usage")  # vLLM: null in every chunk but the counted ones
        if usage is not None and not usage_shaped(usage):
            raise _misshapen_event("usage")
        self.usage = usage or self.usage
        choices = event.get("choices") or []
        if type(choices) is not list:
            raise _misshapen_event("choices")
        found = []
        for choice in choices:
            piece = self._piece(choice)
            if piece and (halves or self.halves.held):
                piece = self.halves.joined(piece)
            if piece:
                self.text.append(piece)
                found.append(piece)
            if choice.get("finish_reason"):
                self.finish = "stop" if choice["finish_reason"] == "stop" else "length"
                self.finished = True
        return found

    def _piece(self, choice: object) -> str | None:
        """The piece of text of one of an event's choices (its delta's `content` in a chat)."""
        if type(choice) is not dict:
            raise _misshapen_event("choices")
        if self.chat:
            delta = choice.get("delta") or {}
            if type(delta) is not dict:
                raise _misshapen_event("choices")
            said = delta.get("content")
        else:
            said = choice.get("text")
        if said is not None and type(said) is not str:
            raise _misshapen_event("choices")
        return said

    def ended(self) -> list[str]:
        """The last piece, at the stream's end: a first half that no second followed. A stream
        that held no events, or that ended without a finish reason or [DONE] (the engine gave
        up or was stopped midway: no answer to pass on as whole), failed."""
        if not self.events:
            raise _stream_failed(_("it held no events (no line began with 'data:')"))
        if not self.finished:
            raise _stream_failed(
                _("it ended without saying that it had finished (neither finish_reason nor [DONE])")
            )
        rest = self.halves.rest()
        if not rest:
            return []
        self.text.append(rest)
        return [rest]

    def so_far(self) -> tuple[int, int] | None:
        """The engine's counts with the last event read (`continuous_usage_stats`: up to the
        piece it carried), which the gateway passes on to a client that asks for usage with
        every chunk; None until the engine told both."""
        usage = self.usage
        if not told(usage):
            return None
        return int(usage["prompt_tokens"]), int(usage["completion_tokens"])

    def result(self) -> GenerationResult:
        return GenerationResult(
            text="".join(self.text),
            prompt_tokens=int(self.usage.get("prompt_tokens", 0)),
            completion_tokens=int(self.usage.get("completion_tokens", 0)),
            finish_reason=self.finish,  # type: ignore[arg-type]
        )


def _stream_failed(problem: Message | str) -> EngineUnavailable:
    """The engine's stream failed: it said so, or what it sent is no answer (`EventReader`)."""
    return EngineUnavailable(_("the upstream stream failed: {problem}", problem=problem))


def _misshapen_event(field: str) -> EngineUnavailable:
    return _stream_failed(_("an event is not in OpenAI's shape ({field})", field=field))


def event_lines(read: bytes) -> tuple[list[bytes], bytes]:
    """The whole lines of what was read of an engine's event stream (UTF-8, as server-sent
    events are) that are not empty, without their line ends, and the start of the next line,
    to be read on: split here, since a line of many log-probabilities may be longer than a
    reader's line buffer. (Not an async generator of lines: that was one more generator to
    resume for every line of every stream.) The empty lines, which only end events, are left
    out: every event has one, and each cost a call of `EventReader.pieces`."""
    lines = read.splitlines()
    rest = lines.pop() if lines and not read.endswith((b"\n", b"\r")) else b""
    return [line for line in lines if line], rest


def error_message(data: object) -> str | None:
    """The message of an engine's JSON error: OpenAI's `error.message` (vLLM, llama-server,
    Ollama, gemeingut), an `error` that is text, an older vLLM's `message`, or FastAPI's
    `detail` (a route the engine does not have); None where it holds none."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    nested = error.get("message") if isinstance(error, dict) else error
    for said in (nested, data.get("message"), data.get("detail")):
        if isinstance(said, str) and said.strip():
            return said
    return None


def usage_shaped(usage: object) -> bool:
    """Whether `usage` is in OpenAI's shape: an object whose token counts, where it has them,
    are whole numbers (the gateway adds and charges them)."""
    if type(usage) is not dict:
        return False
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return type(prompt) is int and type(completion) is int  # not `isinstance`: True is no count


def told(usage: object) -> bool:
    """Whether an engine's `usage` tells both counts (an engine may leave it out)."""
    return isinstance(usage, dict) and {"prompt_tokens", "completion_tokens"} <= usage.keys()
