"""The JSON contract: shipped schema files, samples, signing and the verifier."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connectors.webhook import contract
from connectors.webhook.signing import signature, signed_headers
from connectors.webhook.verify import (
    InvalidSignatureError,
    MalformedPayloadError,
    MissingSignatureError,
    ReplayCache,
    ReplayedRequestError,
    SchemaViolationError,
    StaleRequestError,
    verify_inbound,
)

SAMPLES = json.loads(Path(__file__).with_name("samples.json").read_text())
SECRET = "shared-secret-0123456789"
NOW = 1_795_000_000


@pytest.mark.parametrize("filename", sorted(contract.SCHEMAS))
def test_shipped_schema_files_match_the_models(filename: str) -> None:
    shipped = (contract.SCHEMA_DIR / filename).read_text(encoding="utf-8")
    assert shipped == contract.render(filename), "run: python -m connectors.webhook.contract"
    Draft202012Validator.check_schema(json.loads(shipped))


CASES = [
    (name, kind, sample)
    for name, groups in SAMPLES.items()
    for kind in ("valid", "invalid")
    for sample in groups[kind]
]


@pytest.mark.parametrize(("filename", "kind", "sample"), CASES)
def test_schema_files_and_models_agree_on_samples(filename: str, kind: str, sample: Any) -> None:
    schema = json.loads((contract.SCHEMA_DIR / filename).read_text())
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    model = contract.SCHEMAS[filename][0]
    schema_ok = checker.is_valid(sample)
    try:
        model.model_validate(sample)
        model_ok = True
    except ValueError:
        model_ok = False
    assert (schema_ok, model_ok) == ((kind == "valid"),) * 2


def test_signature_is_hmac_sha256_hex_over_timestamp_dot_body() -> None:
    body = b'{"a": 1}'
    expected = hmac.new(SECRET.encode(), b'1795000000.{"a": 1}', hashlib.sha256).hexdigest()
    assert signature(SECRET, NOW, body) == f"sha256={expected}"


def sample_body(event_id: str = "e1") -> bytes:
    sample = dict(SAMPLES["incoming-message.schema.json"]["valid"][0], id=event_id)
    return json.dumps(sample).encode()


def test_verify_inbound_returns_the_validated_event() -> None:
    body = sample_body()
    event = verify_inbound(signed_headers(SECRET, NOW, body), body, SECRET, NOW)
    assert (event.id, event.message.body) == ("e1", "hi")


@pytest.mark.parametrize(
    ("headers", "body", "now", "error"),
    [
        ({}, sample_body(), NOW, MissingSignatureError),
        (signed_headers(SECRET, NOW, sample_body()), sample_body("e2"), NOW, InvalidSignatureError),
        (
            signed_headers("other-secret-0123456", NOW, sample_body()),
            sample_body(),
            NOW,
            InvalidSignatureError,
        ),
        (signed_headers(SECRET, NOW - 301, sample_body()), sample_body(), NOW, StaleRequestError),
        (signed_headers(SECRET, NOW + 301, sample_body()), sample_body(), NOW, StaleRequestError),
        (
            {**signed_headers(SECRET, NOW, b"x"), "X-DriveTalk-Timestamp": "soon"},
            b"x",
            NOW,
            StaleRequestError,
        ),
        (signed_headers(SECRET, NOW, b"nope"), b"nope", NOW, MalformedPayloadError),
        (signed_headers(SECRET, NOW, b'"text"'), b'"text"', NOW, MalformedPayloadError),
        (signed_headers(SECRET, NOW, b"{}"), b"{}", NOW, SchemaViolationError),
    ],
)
def test_verify_inbound_rejects_with_a_specific_error(
    headers: dict[str, str], body: bytes, now: int, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        verify_inbound(headers, body, SECRET, now)
    assert SECRET not in str(caught.value)
    assert 400 <= caught.value.status < 500  # type: ignore[attr-defined]


def test_the_window_accepts_clock_skew_up_to_its_edge() -> None:
    body = sample_body()
    for skew in (-300, 300):
        verify_inbound(signed_headers(SECRET, NOW + skew, body), body, SECRET, NOW)


def test_replays_are_caught_within_the_window_and_forgotten_after() -> None:
    seen = ReplayCache(window=300)
    body = sample_body()
    verify_inbound(signed_headers(SECRET, NOW, body), body, SECRET, NOW, seen=seen)
    with pytest.raises(ReplayedRequestError):
        verify_inbound(signed_headers(SECRET, NOW + 5, body), body, SECRET, NOW + 5, seen=seen)
    assert seen.add("e1", NOW + 601)  # long after: the timestamp check guards it instead


def test_the_replay_cache_is_bounded() -> None:
    seen = ReplayCache(window=300, capacity=3)
    for i in range(5):
        assert seen.add(f"id{i}", NOW)
    assert seen.add("id0", NOW)  # evicted: the oldest entries go first
    assert not seen.add("id4", NOW)
