"""Property-based requests from our own OpenAPI document (schemathesis): whatever a client sends,
valid or not, the server answers with a 2xx or 4xx, never a 5xx.

Each operation's strategy is driven by hypothesis directly (schemathesis' pytest plugin does not
work with this pytest); `derandomize` makes every run send the same cases, so a failure here
can be reproduced.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings

from gemeingut.serve.app import create_app
from gemeingut.serve.backends import TransformersBackend
from tests.serve.conftest import MODEL_NAME


def test_no_request_is_answered_with_a_server_error(backend: TransformersBackend) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(backend, hosts=None))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answered_without_server_error(case) -> None:
            if isinstance(case.body, dict) and "model" in case.body:
                case.body["model"] = MODEL_NAME  # past the 404, into generation
            response = case.call()
            statuses[response.status_code] += 1
            assert response.status_code < 500, (
                f"{case.method} {case.path} {case.body!r:.300} -> {response.status_code} "
                f"{response.text[:300]}"
            )

        answered_without_server_error()
    assert statuses[200] > 20 and statuses[400] > 20, statuses  # both paths were exercised
