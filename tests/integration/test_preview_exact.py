"""What a delegate previews is what is signed: the same sequence number and time, or nothing is
signed and the delegate is shown the final version first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.inprocess import NodeNet

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.encoding import canonical
from gulfsec.errors import PreviewChanged
from gulfsec.services.node.compose import Composer, Draft, preview

DRAFT = Draft("message@1", ("RUS",), {"subject": "Exactly this", "text": "As shown."})


def _outbox(net: NodeNet) -> int:
    with net.nodes["IRN"].uow() as uow:
        return len(uow.repo.outbox_items())


def test_the_signed_entry_is_the_previewed_one_byte_for_byte(
        net: NodeNet, clock: ManualClock) -> None:
    node = net.nodes["IRN"]
    shown = preview(node, DRAFT)
    clock.advance(timedelta(seconds=40))          # the delegate reads before confirming
    signed, fresh = Composer(node).send(DRAFT, "confirm-1", (shown.seq, shown.time))
    assert fresh and signed.entry.seq == shown.seq and signed.entry.time == shown.time
    assert canonical(signed.entry.to_json()).decode() == shown.canonical


def test_a_number_taken_since_the_preview_signs_nothing(net: NodeNet) -> None:
    node = net.nodes["IRN"]
    shown = preview(node, DRAFT)
    node.send("message@1", ("RUS",), {"subject": "Meanwhile", "text": "From the CLI."})
    before = _outbox(net)
    with pytest.raises(PreviewChanged) as caught:
        Composer(node).send(DRAFT, "confirm-2", (shown.seq, shown.time))
    assert caught.value.seq == shown.seq + 1
    assert _outbox(net) == before
    again = preview(node, DRAFT)
    signed, _ = Composer(node).send(DRAFT, "confirm-2", (again.seq, again.time))
    assert signed.entry.seq == again.seq


def test_a_preview_too_old_to_keep_its_time_signs_nothing(
        net: NodeNet, clock: ManualClock) -> None:
    node = net.nodes["IRN"]
    shown = preview(node, DRAFT)
    clock.advance(timedelta(minutes=3))
    before = _outbox(net)
    with pytest.raises(PreviewChanged):
        Composer(node).send(DRAFT, "confirm-3", (shown.seq, shown.time))
    assert _outbox(net) == before
