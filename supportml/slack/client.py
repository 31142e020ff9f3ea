"""The one way supportml builds a Slack WebClient (slack_sdk only, no Bolt), shared by the
responder and `report --post-to`."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def web_client(token: str, base_url: str | None = None, timeout: int = 30) -> WebClient:
    """A WebClient that waits out 429s (Retry-After) and retries Slack's 5xx answers.

    slack_sdk's default handlers retry connection errors only. ``base_url`` (GovSlack, a proxy,
    the tests' stand-in) gets the trailing '/' that WebClient needs to join method names.
    """
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    client = WebClient(token=token, base_url=base_url or WebClient.BASE_URL, timeout=timeout)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=2)]
    )
    return client
