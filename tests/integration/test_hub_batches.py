"""Batch submission on SQLite and PostgreSQL: ``Hub.prepare_batch`` parses a batch once and
verifies its signatures in bulk on every core, then ``Hub.enqueue_many`` hands it to the
sequencer as one group. Each entry must be judged exactly as on its own: the same refusals,
in the same places, whatever chunk of the bulk check it fell in."""

from __future__ import annotations

import json

import pytest

from gulfsec.domain.encoding import canonical, split_if_canonical
from gulfsec.domain.entry import ALL
from gulfsec.domain.keys import SigningKey
from gulfsec.errors import BadSignature, GulfsecError, MalformedEntry, RevokedKey, SequenceGap
from gulfsec.services.hub import Hub
from gulfsec.services.participant import compose


def batch(raws: list[bytes]) -> bytes:
    return b"[" + b",".join(raws) + b"]"


def outcomes(hub: Hub, body: bytes) -> list[object]:
    return hub.enqueue_many(hub.prepare_batch(body)).result(timeout=60)


def tampered(raw: bytes) -> bytes:
    obj = json.loads(raw)
    obj["entry"]["body"]["text"] += " (changed)"
    return canonical(obj)


def test_a_long_batch_is_sequenced_in_order_with_bad_signatures_refused_where_they_are(
        hub, writers):
    raws = [writers["IRN"].entry().raw for _ in range(100)]
    bad = {0, 15, 16, 63, 64, 99}  # chunk edges of the bulk check
    for i in bad:
        raws[i] = tampered(raws[i])
    results = outcomes(hub, batch(raws))
    assert len(results) == 100
    for i, result in enumerate(results):
        if i in bad:
            assert isinstance(result, BadSignature), i
        elif i - 1 in bad or any(b < i for b in bad):
            # after a refused entry the sender's later sequence numbers skip ahead
            assert isinstance(result, SequenceGap), i
        else:
            assert not isinstance(result, GulfsecError), i


def test_a_batch_keeps_its_order_and_resubmitted_is_all_duplicates(hub, writers):
    raws = [writers[p].entry(audience=ALL if i % 2 else ["IRN", "SAU"]).raw
            for i, p in enumerate(["RUS", "QAT", "SAU", "USA"] * 10)]
    results = outcomes(hub, batch(raws))
    indexes = [r.index for r in results]  # type: ignore[attr-defined]
    assert indexes == sorted(indexes) and len(set(indexes)) == 40
    again = outcomes(hub, batch(raws))
    assert all(r.duplicate for r in again)  # type: ignore[attr-defined]
    assert [r.index for r in again] == indexes  # type: ignore[attr-defined]


def test_a_key_rotated_earlier_in_the_batch_is_refused_later_in_it(hub, writers, party_keys,
                                                                   clock):
    new_key = SigningKey.generate("IRN")
    first = writers["IRN"].entry()
    rotation = compose(party_keys["IRN"], "IRN", form="key-rotation@1", audience=ALL,
                       body={"vkey": new_key.verifier.encode()}, seq=writers["IRN"].seq,
                       now=clock.now()).countersigned(new_key)
    writers["IRN"].seq += 1
    with_old_key = writers["IRN"].entry()
    results = outcomes(hub, batch([first.raw, rotation.raw, with_old_key.raw]))
    assert not isinstance(results[0], GulfsecError)
    assert not isinstance(results[1], GulfsecError)
    assert isinstance(results[2], RevokedKey)


def test_a_batch_not_written_canonically_is_still_taken_entry_by_entry(hub, writers):
    raws = [writers["SAU"].entry().raw for _ in range(3)]
    loose = ("[ " + ",\n ".join(json.dumps(json.loads(r), indent=1) for r in raws) + " ]")
    assert split_if_canonical(loose.encode()) is None
    results = outcomes(hub, loose.encode())
    assert [r.entry_id for r in results] == [  # type: ignore[attr-defined]
        hub.prepare(r).id_hex for r in raws]


@pytest.mark.parametrize("body", [b"", b"{}", b"[]", b"[1,", b'[{"a":1,"a":2}]',
                                  b"[" + b",".join([b"{}"] * 257) + b"]"])
def test_a_body_that_is_no_batch_is_one_clear_error(hub, body):
    # empty, not an array, too long, cut short, or a duplicate key (the strict parse)
    with pytest.raises(MalformedEntry):
        hub.prepare_batch(body)


def test_a_malformed_item_is_refused_alone(hub, writers):
    good = writers["QAT"].entry().raw
    results = outcomes(hub, batch([b'{"entry":1}', good]))
    assert isinstance(results[0], MalformedEntry)
    assert not isinstance(results[1], GulfsecError)


def test_split_if_canonical_gives_each_item_its_own_bytes():
    items = [{"b": 1, "a": [1, 2]}, {"x": "é"}]
    data = b"[" + b",".join(canonical(i) for i in items) + b"]"
    split = split_if_canonical(data)
    assert split is not None
    assert [raw for _, raw in split] == [canonical(i) for i in items]
    assert split_if_canonical(b'[{"a":1, "b":2}]') is None
    assert split_if_canonical(b'[{"b":1,"a":2}]') is None
    assert split_if_canonical(b'{"a":1}') is None
    assert split_if_canonical(b'[1.5]') is None
    assert split_if_canonical("[\"\U0001f600\"]".encode()) is None
