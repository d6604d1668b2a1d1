"""Secrets never leave in what a webhook step records."""

from __future__ import annotations

from domain.redaction import MASK, redact, redact_data, redact_headers


def test_every_occurrence_and_encoding_of_a_secret_is_masked() -> None:
    secret = "p@ss w/rd\"x"
    text = f"token={secret} url=p%40ss%20w%2Frd%22x form=p%40ss+w%2Frd%22x json=\"p@ss w/rd\\\"x\""
    assert secret not in (masked := redact(text, [secret]))
    assert masked == f"token={MASK} url={MASK} form={MASK} json=\"{MASK}\""


def test_longer_secrets_are_masked_before_their_parts_and_short_values_are_left() -> None:
    assert redact("abcdef abcd", ["abcd", "abcdef"]) == f"{MASK} {MASK}"
    assert redact("a 1 b", ["1"]) == "a 1 b"


def test_credential_headers_are_masked_whatever_their_value() -> None:
    headers = {"Authorization": "Bearer x", "X-Api-Key": "k", "Content-Type": "application/json",
               "X-Trace": "has secret-value inside"}
    assert redact_headers(headers, ["secret-value"]) == {
        "Authorization": MASK, "X-Api-Key": MASK, "Content-Type": "application/json", "X-Trace": f"has {MASK} inside"}


def test_json_values_are_masked_in_keys_and_nested_strings() -> None:
    data = {"token": "tok-1234", "nested": [{"tok-1234": 1, "n": 5}], "ok": True}
    assert redact_data(data, ["tok-1234"]) == {"token": MASK, "nested": [{MASK: 1, "n": 5}], "ok": True}
