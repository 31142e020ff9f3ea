from tests.slack.conftest import CHANNEL, message


def test_smoke(harness):
    event = message("okta sso access denied, can someone grant me a role?")
    assert harness.event(event) == 200
    harness.settle()
    calls = harness.slack.wait_for("chat.postMessage")
    print(calls[0].body)
    assert calls[0].body["thread_ts"] == event["ts"]
    assert calls[0].body["channel"] == CHANNEL
