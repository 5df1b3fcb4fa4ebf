"""A server's requests-per-minute limit in a test that cannot wait for a real minute to end:
`ShortWaits` stands outside the real app, sets each 429's Retry-After to 0 s and, where the
test says so, lifts the user's limit as the first 429 passes, as the end of the minute would.
The refusals themselves are the server's."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from gemeingut.serve.gateway.quotas import set_limits


class ShortWaits:
    """The app; with `shorten`, each 429's Retry-After made 0 s; with `lift` too, `user`'s
    requests-per-minute limit is lifted as the first 429 passes (the minute has ended)."""

    def __init__(self, app, store, user: str = "anna") -> None:
        self.app, self.store, self.user = app, store, user
        self.shorten = self.lift = False

    async def __call__(self, scope, receive, send) -> None:
        async def sending(message) -> None:
            start = message["type"] == "http.response.start"
            if start and self.shorten and message["status"] == 429:
                if self.lift:
                    self.lift = False
                    await run_in_threadpool(
                        set_limits, self.store, "user", self.user, requests_per_minute=None
                    )
                headers = [
                    (name, b"0" if name.lower() == b"retry-after" else value)
                    for name, value in message["headers"]
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)
