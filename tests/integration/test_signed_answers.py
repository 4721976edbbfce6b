"""Every answer of the hub's API is signed by its log key, so that what it served can be proven
to anyone holding the log's verifier key — and a node that pinned the key takes nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import AnswerSignatureError, RemoteError
from gulfsec.ledger.answers import SignedAnswer, answer_from_headers
from gulfsec.services.hub import Hub


def answer_of(response: httpx.Response, origin: str) -> SignedAnswer:
    request = response.request
    return answer_from_headers(origin, request.method, request.url.raw_path.decode(),
                               response.status_code, response.content, response.headers)


@pytest.mark.parametrize("target", ["/v1/log", "/v1/checkpoint", "/v1/cosignatures?since=0",
                                    "/v1/proof/consistency?old=1&new=2", "/v1/keys",
                                    "/log/checkpoint", "/log/tile/entries/000.p/3",
                                    "/v1/checkpoints/999", "/v1/proof/inclusion?index=x"])
def test_every_answer_is_signed_by_the_log_key_whatever_its_status(
        api: Any, hub: Hub, log_key: SigningKey, target: str) -> None:
    response = api.get(target)
    answer = answer_of(response, hub.regime.log_origin)
    answer.verify(log_key.verifier)
    assert answer.party == "-"
    assert answer.target == target
    assert answer.status == response.status_code


def test_an_answer_to_a_signed_request_names_the_party_it_was_given_to(
        signed_get: Callable[..., httpx.Response], hub: Hub, log_key: SigningKey) -> None:
    response = signed_get("IRN", "/v1/entries?after=-1")
    answer = answer_of(response, hub.regime.log_origin)
    answer.verify(log_key.verifier)
    assert answer.party == "IRN"
    tampered = SignedAnswer(answer.origin, answer.method, answer.target, "RUS", answer.status,
                            answer.time, answer.body, answer.signature)
    with pytest.raises(AnswerSignatureError):
        tampered.verify(log_key.verifier)
    other = SignedAnswer(answer.origin, answer.method, answer.target, answer.party,
                         answer.status, answer.time, answer.body + b" ", answer.signature)
    with pytest.raises(AnswerSignatureError):
        other.verify(log_key.verifier)


def test_the_pages_are_not_signed(api: Any) -> None:
    assert "gulfsec-answer-signature" not in api.get("/").headers


def test_a_client_that_pinned_the_log_key_keeps_each_signed_answer(
        api: Any, log_key: SigningKey, party_keys: dict[str, SigningKey],
        clock: ManualClock) -> None:
    with HubClient("http://testserver", party="IRN", key=party_keys["IRN"], clock=clock,
                   transport=api._transport, log_key=log_key.verifier) as client:
        client.entries(after=-1)
        kept = client.last_answer()
        assert kept is not None and kept.party == "IRN"
        assert SignedAnswer.from_json(kept.to_json()) == kept
        with pytest.raises(RemoteError):
            client.checkpoint_at(999)
        refused = client.last_answer()
        assert refused is not None and refused.status == 404


class _Stripping(httpx.BaseTransport):
    """What a hub that does not sign (or a man in the middle) answers."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        content = response.read()
        headers = {k: v for k, v in response.headers.items()
                   if not k.lower().startswith("gulfsec-answer")}
        return httpx.Response(response.status_code, headers=headers, content=content)


def test_a_client_that_pinned_the_log_key_refuses_an_unsigned_answer(
        api: Any, log_key: SigningKey) -> None:
    with HubClient("http://testserver", transport=_Stripping(api._transport),
                   log_key=log_key.verifier) as client, pytest.raises(AnswerSignatureError):
        client.log_info()
    wrong = SigningKey.generate(log_key.name)
    with HubClient("http://testserver", transport=api._transport,
                   log_key=wrong.verifier) as client, pytest.raises(AnswerSignatureError):
        client.log_info()
