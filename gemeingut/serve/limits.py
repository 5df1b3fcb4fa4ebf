"""The server's default bounds, in one import-light place (the CLI shows them in `--help`)."""

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024  # a request body; more is a 413
DEFAULT_MAX_WAITING = 64  # requests waiting for the model; more get 503 + Retry-After
DEFAULT_MAX_CONNECTIONS = 512  # open connections (slow or idle ones too); more get 503
# An idle kept-alive connection stays open this long: well past the time clients reuse one
# (httpx, the OpenAI SDK: 5 s), as nginx (75 s) does. A server that closes it as a client
# reuses it answers that request with a reset (httpx.ReadError), however well-formed it is.
KEEP_ALIVE_SECONDS = 75
DEFAULT_MAX_UPLOADS = 4  # documents read, chunked and embedded at once; more get 503
MOST_DAYS = 36500  # the longest retention or duration, 100 years (a longer one overflows a date)
