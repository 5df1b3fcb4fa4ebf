"""A `Host` header with the root's trailing dot (`ki.amt.example.`, a fully qualified name
some clients send) names the same host as without it: it is not refused as foreign."""

from __future__ import annotations

from gemeingut.serve.guards import allowed_hosts, host_name


def test_a_fully_qualified_host_is_the_same_host() -> None:
    hosts = allowed_hosts("127.0.0.1", ["ki.amt.example"])
    assert hosts is not None
    for sent in ("ki.amt.example.", "KI.amt.example.:8443", "ki.amt.example"):
        assert host_name(sent) in hosts, sent
    assert host_name("evil.example.") not in hosts
    assert host_name("[::1]:8000") == "::1"
