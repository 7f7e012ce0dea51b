"""wbinstall.redact: what a process resolved is taken out of what it logs."""

from wbinstall import redact
from wbinstall.answers.loader import Secrets


def test_a_resolved_secret_is_taken_out_of_the_log_later():
    Secrets({("license",): "redact-test-license-31f"})
    assert redact.for_the_log("the license redact-test-license-31f was refused") == "the license <redacted> was refused"


def test_a_result_is_cleared_of_its_own_secrets_only():
    redact.remember(["redact-test-earlier-run"])
    assert redact.without("redact-test-earlier-run and redact-test-this-run", ["redact-test-this-run"]) == \
        "redact-test-earlier-run and <redacted>"


def test_a_longer_secret_goes_whole_though_it_holds_a_shorter_one():
    assert redact.without("pw=redact-long-pw-9a and redact-long", ["redact-long", "redact-long-pw-9a"]) == \
        "pw=<redacted> and <redacted>"


def test_a_value_too_short_to_be_a_secret_is_not_blanked_everywhere():
    redact.remember(["abc"])
    assert redact.for_the_log("abc: a traceback line") == "abc: a traceback line"
