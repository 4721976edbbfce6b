"""The hub's HTTP API, on SQLite and on PostgreSQL: submitting, refusals, reading, proofs, tiles.

Personas (tests/conftest.py): IRN writes, RUS and SAU are addressed, QAT is the outsider who must
learn nothing of an entry not addressed to it. The ``hub`` fixture's log already holds six
entries, all to ``all``: the secretariat's key and the five personas' registrations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gulfsec.domain.encoding import b64decode, canonical, format_time
from gulfsec.domain.entry import ALL, Entry, Signature, SignedEntry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import default_regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.ledger import tiles
from gulfsec.ledger.note import Checkpoint, verify_checkpoint
from gulfsec.ledger.proofs import verify_consistency, verify_inclusion
from gulfsec.ledger.tree import EMPTY_ROOT, MerkleTree, leaf_hash
from gulfsec.services.participant import audit_log, compose

GENESIS = 6
"""Entries in the ``hub`` fixture's log: the secretariat's key and five registrations."""

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def post(api: Any, raw: bytes) -> httpx.Response:
    return api.post("/v1/entries", content=raw, headers={"Content-Type": "application/json"})


def submit(api: Any, signed: SignedEntry) -> dict[str, Any]:
    response = post(api, signed.raw)
    assert response.status_code == 201, response.text
    return dict(response.json())


def forged(key: SigningKey, sender: str, clock: Any, *, seq: int, form: str = "message@1",
           body: dict[str, Any] | None = None, audience: Any = ("RUS",),
           refs: tuple[str, ...] = (), delta: timedelta = timedelta(0)) -> SignedEntry:
    """An entry signed without the participant-side checks ``compose`` makes."""
    entry = Entry(form=form, sender=sender, key=key.key_id_hex, seq=seq,
                  time=(clock.now() + delta).replace(microsecond=0), audience=audience,
                  body=body if body is not None else {"subject": "s", "text": "t"}, refs=refs)
    return sign_entry(entry, key)


def checkpoint_of(note: str, log_key: SigningKey) -> Checkpoint:
    checkpoint, _ = verify_checkpoint(note, log_key.verifier)
    return checkpoint


# -- submitting ---------------------------------------------------------------------------------


def test_a_new_entry_is_answered_201_with_its_index_and_checkpoint_size(api, writers, clock):
    signed = writers["IRN"].entry(audience=["RUS"])

    receipt = submit(api, signed)

    promise = format_time(clock.now() + default_regime().limits.max_merge)
    assert receipt == {"entry_id": signed.id_hex, "index": GENESIS,
                       "checkpoint_size": GENESIS + 1, "duplicate": False,
                       "promised_by": promise}
    assert api.get("/v1/log").json()["size"] == GENESIS + 1


def test_resubmitting_the_same_entry_is_answered_200_with_the_same_index(api, writers):
    signed = writers["IRN"].entry(audience=["RUS"])
    first = submit(api, signed)
    submit(api, writers["RUS"].entry(audience=["IRN"]))

    again = post(api, signed.raw)

    assert again.status_code == 200
    assert again.json() | {"promised_by": None} == {
        "entry_id": signed.id_hex, "index": first["index"], "checkpoint_size": GENESIS + 2,
        "duplicate": True, "promised_by": None}
    assert api.get("/v1/log").json()["size"] == GENESIS + 2


def test_a_reused_sequence_number_is_refused_with_409_sequence_replay(api, writers):
    submit(api, writers["IRN"].entry())

    replay = post(api, writers["IRN"].entry(body={"subject": "other", "text": "x"}, seq=1).raw)

    assert replay.status_code == 409
    assert replay.json() | {"message": ""} == {
        "error": "sequence_replay", "message": "", "sender": "IRN", "expected": 2, "got": 1,
    }


def test_a_skipped_sequence_number_is_refused_with_409_sequence_gap(api, writers):
    gap = post(api, writers["IRN"].entry(seq=3).raw)

    assert gap.status_code == 409
    assert gap.json() | {"message": ""} == {
        "error": "sequence_gap", "message": "", "sender": "IRN", "expected": 1, "got": 3,
    }


def test_the_senders_sequence_continues_after_refusals(api, writers, party_keys, clock,
                                                       as_party):
    irn = writers["IRN"]
    submit(api, irn.entry())  # seq 1
    refused = [
        irn.entry(seq=1, body={"subject": "replay", "text": "x"}),  # replay
        irn.entry(seq=5),  # gap
        forged(SigningKey.generate("IRN"), "IRN", clock, seq=2),  # unknown key
        forged(party_keys["IRN"], "IRN", clock, seq=2, audience=("ZZZ",)),  # audience
        forged(party_keys["IRN"], "IRN", clock, seq=2, refs=("ab" * 32,)),  # unknown ref
    ]
    for signed in refused:
        assert post(api, signed.raw).status_code in (409, 422)
    assert as_party("IRN").party_status()["next_seq"] == 2

    receipt = submit(api, irn.entry())  # seq 2

    assert receipt["index"] == GENESIS + 1
    assert as_party("IRN").party_status() | {"key_id": None} == {
        "party": "IRN", "next_seq": 3, "key_id": None, "size": GENESIS + 2, "key_active": True,
    }


def _refusal(case: str, writers: dict[str, Any], keys: dict[str, SigningKey],
             clock: Any) -> bytes:
    irn = keys["IRN"]
    good = writers["IRN"].entry(audience=["RUS"], seq=1)
    if case == "malformed_json":
        return b'{"entry": {"v": 1,'
    if case == "not_utf8":
        return b'{"entry": "\xff\xfe"}'
    if case == "duplicate_json_key":
        return b'{"entry": {}, "entry": {}, "signatures": []}'
    if case == "wrong_shape":
        return canonical({"entry": good.entry.to_json()})
    if case == "wrong_field_type":
        data = good.to_json()
        data["entry"]["seq"] = "1"
        return canonical(data)
    if case == "oversized":
        return good.raw[:-1] + b" " * 70_000 + b"}"
    if case == "unknown_form":
        return forged(irn, "IRN", clock, seq=1, form="weather-report@1").raw
    if case == "invalid_body":
        return forged(irn, "IRN", clock, seq=1, body={"subject": "", "text": 7}).raw
    if case == "unknown_sender":
        return forged(SigningKey.generate("ATL"), "ATL", clock, seq=0).raw
    if case == "unknown_key":
        return forged(SigningKey.generate("IRN"), "IRN", clock, seq=1).raw
    if case == "tampered":
        return SignedEntry(dataclasses.replace(good.entry, body={"subject": "s", "text": "u"}),
                           good.signatures).raw
    if case == "signed_by_another_key":
        sig = keys["RUS"].sign(good.entry.signing_bytes())
        return SignedEntry(good.entry, (Signature(irn.key_id_hex, sig),)).raw
    if case == "another_partys_key_id":
        entry = dataclasses.replace(good.entry, key=keys["RUS"].key_id_hex)
        return sign_entry(entry, keys["RUS"]).raw
    if case == "extra_signature":
        return good.countersigned(keys["SAU"]).raw
    if case == "unknown_reference":
        return forged(irn, "IRN", clock, seq=1, refs=("ab" * 32,)).raw
    if case == "audience_unknown_party":
        return forged(irn, "IRN", clock, seq=1, audience=("ZZZ",)).raw
    if case == "audience_only_the_sender":
        return forged(irn, "IRN", clock, seq=1, audience=("IRN",)).raw
    if case == "audience_unsorted":
        return forged(irn, "IRN", clock, seq=1, audience=("RUS", "QAT")).raw
    if case == "audience_empty":
        data = good.to_json()
        data["entry"]["audience"] = []
        return canonical(data)
    if case == "claimed_time_ahead":
        return forged(irn, "IRN", clock, seq=1, delta=timedelta(minutes=6)).raw
    if case == "claimed_time_behind":
        return forged(irn, "IRN", clock, seq=1, delta=-timedelta(minutes=6)).raw
    raise AssertionError(case)


REFUSALS = [
    ("malformed_json", 422, "malformed_entry"),
    ("not_utf8", 422, "malformed_entry"),
    ("duplicate_json_key", 422, "malformed_entry"),
    ("wrong_shape", 422, "malformed_entry"),
    ("wrong_field_type", 422, "malformed_entry"),
    ("oversized", 413, "entry_too_large"),
    ("unknown_form", 422, "unknown_form"),
    ("invalid_body", 422, "invalid_form_body"),
    ("unknown_sender", 422, "unknown_sender"),
    ("unknown_key", 422, "unknown_key"),
    ("tampered", 422, "bad_signature"),
    ("signed_by_another_key", 422, "bad_signature"),
    ("another_partys_key_id", 422, "unknown_key"),
    ("extra_signature", 422, "bad_signature"),
    ("unknown_reference", 422, "unknown_reference"),
    ("audience_unknown_party", 422, "audience"),
    ("audience_only_the_sender", 422, "audience"),
    ("audience_unsorted", 422, "malformed_entry"),
    ("audience_empty", 422, "malformed_entry"),
    ("claimed_time_ahead", 422, "claimed_time"),
    ("claimed_time_behind", 422, "claimed_time"),
]


def test_each_refusal_has_its_status_and_error_code_and_changes_nothing(
        api, writers, party_keys, clock, subtests):
    for case, status, code in REFUSALS:
        with subtests.test(case=case):
            response = post(api, _refusal(case, writers, party_keys, clock))

            assert response.status_code == status, response.text
            body = response.json()
            assert body["error"] == code
            assert body["message"]
            assert api.get("/v1/log").json()["size"] == GENESIS

    assert submit(api, writers["IRN"].entry())["index"] == GENESIS  # IRN's seq 1 is still free


def test_an_invalid_body_is_refused_field_by_field(api, party_keys, clock):
    signed = forged(party_keys["IRN"], "IRN", clock, seq=1,
                    body={"subject": "", "text": 7, "colour": "red"})

    response = post(api, signed.raw)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_form_body"
    assert body["entry_id"] == signed.id_hex
    assert {f["field"] for f in body["fields"]} == {"subject", "text", "colour"}
    assert all(f["problem"] for f in body["fields"])


# -- reading ------------------------------------------------------------------------------------


def test_the_sender_and_each_addressee_can_read_an_entry(api, writers, as_party):
    signed = writers["IRN"].entry(audience=["RUS", "SAU"])
    index = submit(api, signed)["index"]

    for party in ("IRN", "RUS", "SAU"):
        item = as_party(party).entry(signed.id_hex)
        assert item["index"] == index
        assert item["entry_id"] == signed.id_hex
        assert item["entry"] == signed.to_json()
        assert canonical(item["entry"]) == signed.raw


def test_an_outsider_gets_the_same_404_as_for_an_entry_that_does_not_exist(
        api, writers, signed_get):
    bilateral = writers["IRN"].entry(audience=["RUS"])
    submit(api, bilateral)
    missing = "cd" * 32

    for suffix in ("", "/proof"):
        hidden = signed_get("QAT", f"/v1/entries/{bilateral.id_hex}{suffix}")
        absent = signed_get("QAT", f"/v1/entries/{missing}{suffix}")

        assert hidden.status_code == absent.status_code == 404
        assert hidden.text.replace(bilateral.id_hex, missing) == absent.text
        # Every header the same; Server-Timing only says how long the server took, the
        # answer's signature covers the target asked for, which differs, and X-Request-Id is
        # each request's own (random).
        def headers(response: Any) -> list[tuple[str, str]]:
            return sorted((k, v) for k, v in response.headers.items()
                          if k not in ("server-timing", "gulfsec-answer-signature",
                                       "x-request-id"))

        assert headers(hidden) == headers(absent)
        assert signed_get("RUS", f"/v1/entries/{bilateral.id_hex}{suffix}").status_code == 200


def test_the_outsider_does_not_see_the_entry_in_its_listing(api, writers, as_party):
    bilateral = writers["IRN"].entry(audience=["RUS"])
    submit(api, bilateral)

    listed = as_party("QAT").entries()

    assert bilateral.id_hex not in {e["entry_id"] for e in listed["entries"]}
    assert listed["size"] == GENESIS + 1


def test_unsigned_requests_are_refused_with_401(api, writers, subtests):
    signed = writers["IRN"].entry(audience=["RUS"])
    submit(api, signed)

    for path in ("/v1/entries", "/v1/entries/{id}", "/v1/entries/{id}/proof", "/v1/me"):
        with subtests.test(path=path):
            response = api.get(path.format(id=signed.id_hex))

            assert response.status_code == 401
            assert response.json()["error"] == "unauthenticated"


def _bad_credentials(how: str, keys: dict[str, SigningKey], clock: Any,
                     target: str) -> dict[str, str]:
    now = clock.now()
    if how == "unregistered_key":
        return sign_request(SigningKey.generate("QAT"), "QAT", "GET", target, b"", now)
    if how == "another_partys_key":
        headers = sign_request(keys["RUS"], "RUS", "GET", target, b"", now)
        return headers | {"Gulfsec-Party": "QAT"}
    if how == "unknown_party":
        return sign_request(SigningKey.generate("ATL"), "ATL", "GET", target, b"", now)
    if how == "stale_time":
        return sign_request(keys["QAT"], "QAT", "GET", target, b"", now - timedelta(minutes=6))
    if how == "signed_for_another_path":
        return sign_request(keys["QAT"], "QAT", "GET", "/v1/me", b"", now)
    if how == "garbled_signature":
        return sign_request(keys["QAT"], "QAT", "GET", target, b"", now) | {
            "Gulfsec-Signature": "not base64!"}
    if how == "garbled_time":
        return sign_request(keys["QAT"], "QAT", "GET", target, b"", now) | {
            "Gulfsec-Time": "yesterday"}
    raise AssertionError(how)


def test_a_request_that_does_not_verify_is_refused_with_401(api, party_keys, clock, subtests):
    target = "/v1/entries?after=-1&limit=100"

    for how in ("unregistered_key", "another_partys_key", "unknown_party", "stale_time",
                "signed_for_another_path", "garbled_signature", "garbled_time"):
        with subtests.test(how=how):
            response = api.get(target, headers=_bad_credentials(how, party_keys, clock, target))

            assert response.status_code == 401
            assert response.json()["error"] == "unauthenticated"

    good = sign_request(party_keys["QAT"], "QAT", "GET", target, b"", clock.now())
    assert api.get(target, headers=good).status_code == 200


def test_listing_after_an_index_gives_exactly_the_visible_entries_in_order(
        api, writers, as_party):
    sent = [
        writers["IRN"].entry(audience=["RUS"]),
        writers["RUS"].entry(audience=["IRN"]),
        writers["SAU"].entry(audience=ALL),
        writers["USA"].entry(audience=["QAT"]),
        writers["QAT"].entry(audience=["SAU", "USA"]),
        writers["IRN"].entry(audience=["RUS", "SAU"]),
        writers["USA"].entry(audience=["IRN", "QAT", "RUS", "SAU"]),
    ]
    indexes = {signed.id_hex: submit(api, signed)["index"] for signed in sent}

    for party in ("IRN", "RUS", "QAT", "SAU", "USA"):
        client = as_party(party)
        visible = list(range(GENESIS)) + [
            indexes[s.id_hex] for s in sent if s.entry.can_read(party)
        ]
        for after in (-1, 0, GENESIS - 1, GENESIS + 2, GENESIS + len(sent) - 1, 2**63 - 1):
            listed = client.entries(after=after)["entries"]
            assert [e["index"] for e in listed] == [i for i in visible if i > after]
        paged: list[int] = []
        after = -1
        while page := client.entries(after=after, limit=2)["entries"]:
            paged += [e["index"] for e in page]
            after = page[-1]["index"]
        assert paged == visible
        for item in client.entries()["entries"]:
            assert hashlib.sha256(canonical(item["entry"])).hexdigest() == item["entry_id"]


# -- proofs -------------------------------------------------------------------------------------


def test_the_inclusion_proof_served_with_an_entry_verifies_against_its_checkpoint(
        api, writers, as_party, log_key):
    sent = [writers["IRN"].entry(audience=["RUS"]) for _ in range(5)]
    indexes = [submit(api, signed)["index"] for signed in sent]
    rus = as_party("RUS")

    for signed, index in zip(sent, indexes, strict=True):
        for size in (None, index + 1, GENESIS + len(sent)):
            served = rus.entry_proof(signed.id_hex, size)
            checkpoint = checkpoint_of(served["checkpoint"], log_key)
            assert checkpoint.size == served["size"] == (size or GENESIS + len(sent))
            assert served["index"] == index
            proof = [b64decode(h, length=32) for h in served["proof"]]
            verify_inclusion(leaf_hash(signed.id), index, checkpoint.size, proof,
                             checkpoint.root)


def test_the_public_inclusion_proof_verifies_for_every_index(api, writers, as_party, log_key):
    for _ in range(3):
        submit(api, writers["SAU"].entry())
    client = as_party("QAT")
    checkpoint = checkpoint_of(client.checkpoint(), log_key)

    for index in range(checkpoint.size):
        served = client.inclusion(index, checkpoint.size)
        assert served["size"] == checkpoint.size
        verify_inclusion(b64decode(served["leaf_hash"], length=32), index, checkpoint.size,
                         [b64decode(h, length=32) for h in served["proof"]], checkpoint.root)


def test_consistency_proofs_between_all_sizes_verify(api, writers, as_party, log_key):
    for _ in range(4):
        submit(api, writers["USA"].entry())
    client = as_party("QAT")
    size = GENESIS + 4
    roots = {0: EMPTY_ROOT} | {
        n: checkpoint_of(client.checkpoint_at(n), log_key).root for n in range(1, size + 1)
    }
    assert checkpoint_of(client.checkpoint(), log_key).root == roots[size]

    for old in range(size + 1):
        for new in range(old, size + 1):
            served = client.consistency(old, new)
            assert (served["old"], served["new"]) == (old, new)
            proof = [b64decode(h, length=32) for h in served["proof"]]
            verify_consistency(old, new, roots[old], roots[new], proof)
    latest = api.get("/v1/proof/consistency", params={"old": 3}).json()
    assert latest["new"] == size


MISSING = [
    "/v1/proof/inclusion?index={size}",
    "/v1/proof/inclusion?index=0&size={size1}",
    "/v1/proof/inclusion?index=3&size=3",
    "/v1/proof/inclusion?index=9223372036854775807",
    "/v1/proof/consistency?old={size1}",
    "/v1/proof/consistency?old=2&new={size1}",
    "/v1/proof/consistency?old=5&new=4",
    "/v1/proof/consistency?old=1&new=9223372036854775807",
    "/v1/checkpoints/{size1}",
    "/v1/checkpoints/9223372036854775807",
    "/log/tile/0/001",
    "/log/tile/0/000",
    "/log/tile/0/000.p/{size1}",
    "/log/tile/1/000.p/1",
    "/log/tile/entries/001",
    "/log/tile/entries/000.p/{size1}",
    "/log/tile/0/x000/000",
]


def test_proofs_checkpoints_and_tiles_the_log_does_not_have_are_404(api, subtests):
    size = api.get("/v1/log").json()["size"]

    for path in MISSING:
        with subtests.test(path=path):
            response = api.get(path.format(size=size, size1=size + 1))

            assert response.status_code == 404, response.text
            assert response.json()["error"] == "not_found"


def test_proof_queries_out_of_range_are_invalid_requests(api, subtests):
    for query in ("proof/inclusion?index=3&size=0", "proof/inclusion?index=-1",
                  "proof/inclusion?index=x", "proof/inclusion",
                  "proof/inclusion?index=99999999999999999999999", "proof/consistency?old=-1",
                  "proof/consistency?old=1&new=-2", "proof/consistency",
                  "proof/consistency?old=1&new=99999999999999999999999", "checkpoints/0",
                  "checkpoints/-1", "checkpoints/99999999999999999999999"):
        with subtests.test(query=query):
            response = api.get(f"/v1/{query}")

            assert response.status_code == 422
            body = response.json()
            assert body["error"] == "invalid_request"
            assert body["fields"]


def test_an_entry_proof_for_a_size_the_log_does_not_have_is_404(api, writers, signed_get):
    signed = writers["IRN"].entry(audience=["RUS"])
    index = submit(api, signed)["index"]

    for size in (index, index + 2, 2**63 - 1):
        response = signed_get("RUS", f"/v1/entries/{signed.id_hex}/proof?size={size}")
        assert response.status_code == 404, size
    beyond = signed_get("RUS", f"/v1/entries/{signed.id_hex}/proof?size={10**20}")
    assert beyond.status_code == 422


# -- tiles --------------------------------------------------------------------------------------


def _root_from_tiles(api: Any, size: int) -> bytes:
    """Fetch every level-0 tile and entry bundle of the tree of ``size`` and rebuild it."""
    hashes: list[bytes] = []
    for index in range((size + tiles.TILE_WIDTH - 1) // tiles.TILE_WIDTH):
        width = tiles.tile_width(0, index, size)
        tile = api.get(f"/log/{tiles.tile_path(0, index, width)}")
        bundle = api.get(f"/log/{tiles.entries_path(index, width)}")
        assert tile.status_code == bundle.status_code == 200
        assert tile.headers["content-type"] == "application/octet-stream"
        level0 = tiles.split_hash_tile(tile.content)
        ids = tiles.parse_entry_bundle(bundle.content)
        assert [leaf_hash(i) for i in ids] == level0
        hashes += level0
    return MerkleTree.from_leaf_hashes(hashes).root()


def test_tiles_and_entry_bundles_recompute_the_checkpoint_root(api, writers, log_key):
    sent = [writers["IRN"].entry(audience=["RUS"]), writers["QAT"].entry(audience=["SAU"])]
    for signed in sent:
        submit(api, signed)
    response = api.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=2"
    checkpoint = checkpoint_of(response.text, log_key)
    assert checkpoint.size == GENESIS + len(sent)

    assert _root_from_tiles(api, checkpoint.size) == checkpoint.root
    bundle = api.get(f"/log/{tiles.entries_path(0, checkpoint.size)}").content
    assert tiles.parse_entry_bundle(bundle)[-len(sent):] == [s.id for s in sent]


def test_hash_tiles_above_level_zero_recompute_the_checkpoint_root(hub, api, writers, log_key,
                                                                   as_party):
    irn = writers["IRN"]
    pending = [hub.enqueue(hub.prepare(irn.entry(audience=["RUS"]).raw)) for _ in range(520)]
    assert [p.result(timeout=60).index for p in pending] == list(range(GENESIS, GENESIS + 520))
    checkpoint = checkpoint_of(api.get("/log/checkpoint").text, log_key)
    size = checkpoint.size
    assert size == GENESIS + 520

    assert _root_from_tiles(api, size) == checkpoint.root
    level1 = api.get(f"/log/{tiles.tile_path(1, 0, tiles.tile_width(1, 0, size))}")
    assert level1.status_code == 200
    full = tiles.split_hash_tile(api.get(f"/log/{tiles.tile_path(0, 0)}").content)
    assert tiles.split_hash_tile(level1.content)[0] == MerkleTree.from_leaf_hashes(full).root()
    assert level1.headers["cache-control"] == "public, max-age=31536000, immutable"
    report = audit_log(as_party("QAT"), log_key.verifier)
    assert (report.size, report.root) == (size, checkpoint.root)


# -- keys ---------------------------------------------------------------------------------------


def test_after_a_key_rotation_the_old_keys_entries_and_requests_are_refused(
        api, writers, party_keys, clock, as_party, signed_get):
    old_key, new_key = party_keys["IRN"], SigningKey.generate("IRN")
    before = writers["IRN"].entry(audience=["RUS"])
    submit(api, before)
    rotation = compose(old_key, "IRN", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=2,
                       now=clock.now()).countersigned(new_key)
    rotated_at = submit(api, rotation)["index"]
    old_writer = dataclasses.replace(writers["IRN"], seq=3)
    new_writer = dataclasses.replace(writers["IRN"], key=new_key, seq=3)

    refused = post(api, old_writer.entry().raw)

    assert refused.status_code == 422
    assert refused.json()["error"] == "revoked_key"
    # The old key still reads what concerns IRN itself — its own entries and the key entries —
    # and nothing else: no entry addressed to IRN by another party.
    assert signed_get("IRN", "/v1/me").json()["key_active"] is False
    to_irn = writers["RUS"].entry(audience=["IRN"])
    submit(api, to_irn)
    assert signed_get("IRN", f"/v1/entries/{to_irn.id_hex}").status_code == 404
    assert signed_get("IRN", f"/v1/entries/{before.id_hex}").status_code == 200
    assert signed_get("IRN", f"/v1/entries/{rotation.id_hex}").status_code == 200
    assert signed_get("IRN", "/v1/compliance").status_code == 403
    assert signed_get("IRN", "/v1/me", key=new_key).json()["key_id"] == new_key.key_id_hex
    assert submit(api, new_writer.entry())["index"] == rotated_at + 2
    keys = {k["key_id"]: k for k in as_party("RUS").keys() if k["party"] == "IRN"}
    assert keys[old_key.key_id_hex]["revoked_at"] == rotated_at
    assert keys[new_key.key_id_hex]["revoked_at"] is None
    assert keys[new_key.key_id_hex]["registered_at"] == rotated_at
    assert as_party("IRN", key=new_key).entry(before.id_hex)["entry"] == before.to_json()


def test_entries_sent_before_a_key_rotation_can_still_be_resubmitted_as_duplicates(
        api, writers, party_keys, clock):
    new_key = SigningKey.generate("IRN")
    before = writers["IRN"].entry(audience=["RUS"])
    index = submit(api, before)["index"]
    rotation = compose(party_keys["IRN"], "IRN", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=2,
                       now=clock.now()).countersigned(new_key)
    rotated_at = submit(api, rotation)["index"]

    for signed, at in ((before, index), (rotation, rotated_at)):
        again = post(api, signed.raw)
        assert again.status_code == 200, again.text
        assert again.json()["index"] == at
        assert again.json()["duplicate"] is True


# -- the API's surface --------------------------------------------------------------------------


def test_the_log_info_names_the_log_and_its_key(api, hub, log_key):
    info = api.get("/v1/log").json()

    assert info["log_origin"] == hub.regime.log_origin == log_key.name
    assert info["log_key"] == log_key.verifier.encode()
    assert info["size"] == GENESIS


def test_openapi_is_published_under_v1(api):
    response = api.get("/v1/openapi.json")

    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "gulfsec hub"
    for path in ("/v1/entries", "/v1/entries/{entry_id}", "/v1/entries/{entry_id}/proof",
                 "/v1/proof/inclusion", "/v1/proof/consistency", "/v1/checkpoint",
                 "/log/checkpoint", "/log/tile/{path}"):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/v1/entries"]) == {"get", "post"}
    assert "201" in spec["paths"]["/v1/entries"]["post"]["responses"]


# -- malformed requests never produce a server error --------------------------------------------


def test_json_nested_near_the_recursion_limit_is_malformed_not_a_server_error(api, writers):
    document = json.dumps(_valid_entry_json(writers))
    limit = sys.getrecursionlimit()

    for depth in range(limit - 150, limit + 10, 3):
        nested = document.replace('"body": {', '"body": {"x": ' + "[" * depth + "]" * depth + ", ")
        response = post(api, nested.encode())
        assert response.status_code == 422, (depth, response.text)
        assert response.json()["error"] in ("malformed_entry", "invalid_form_body")


def _valid_entry_json(writers: dict[str, Any]) -> dict[str, Any]:
    return writers["IRN"].entry(audience=["RUS"], seq=1).to_json()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_random_bytes_posted_as_an_entry_never_cause_a_server_error(api, data):
    assert post(api, data).status_code < 500


@FUZZ
@given(value=json_values, where=st.sampled_from(
    ["whole", "entry", "signatures", "v", "form", "sender", "key", "seq", "time", "audience",
     "refs", "body", "sig"]))
def test_random_json_posted_as_an_entry_never_causes_a_server_error(api, writers, value, where):
    if where == "whole":
        document: Any = value
    else:
        document = _valid_entry_json(writers)
        if where in ("entry", "signatures"):
            document[where] = value
        elif where == "sig":
            document["signatures"][0]["sig"] = value
        else:
            document["entry"][where] = value
    data = json.dumps(document, allow_nan=True).encode()
    unchanged = json.dumps(_valid_entry_json(writers), allow_nan=True).encode()

    response = post(api, data)

    assert response.status_code < 500, response.text
    if data != unchanged:
        assert response.status_code >= 400, response.text


query_values = st.text(max_size=12) | st.integers(min_value=-(2**70), max_value=2**70).map(str)


@FUZZ
@given(endpoint=st.sampled_from(["/v1/proof/inclusion", "/v1/proof/consistency", "/v1/entries",
                                 "/v1/entries/{id}/proof", "/v1/checkpoints/{v}",
                                 "/v1/entries/{v}"]),
       params=st.dictionaries(st.sampled_from(["index", "size", "old", "new", "after", "limit"]),
                              query_values, max_size=3),
       v=query_values)
def test_random_proof_queries_never_cause_a_server_error(api, writers, signed_get, endpoint,
                                                        params, v):
    first = signed_get("RUS", "/v1/entries?limit=1").json()["entries"][0]["entry_id"]
    path = endpoint.format(id=first, v=quote(v, safe=""))
    target = str(httpx.URL(path, params=params))

    public = api.get(target)
    signed = signed_get("RUS", target)

    assert public.status_code < 500, public.text
    assert signed.status_code < 500, signed.text


tile_paths = (
    st.from_regex(r"\A(tile/)?(entries|[0-9]{1,3}|-1)(/x?[0-9]{1,4}){1,4}(\.p(/[0-9]{1,4})?)?\Z")
    | st.lists(st.sampled_from(["tile", "entries", "0", "1", "63", "64", "000", "x000", "001",
                                "x001", "255", "256", ".p", "000.p", "..", ".", "", "%00"]),
               max_size=6).map("/".join)
    | st.text(max_size=40)
)


@FUZZ
@given(path=tile_paths)
def test_random_tile_paths_never_cause_a_server_error(api, path):
    response = api.get("/log/tile/" + quote(path, safe="/."))

    assert response.status_code < 500, response.text
    # "../.." leaves /log/tile/ before the request is sent (the hub's public page is at /).
    if response.status_code == 200 and response.url.path.startswith("/log/tile/"):
        assert len(response.content) % 32 == 0
