"""Witnessing: the node cosigns a checkpoint only if it is consistent with the last one it
cosigned, checked and stored atomically, and delivers the cosignature to the hub."""

from __future__ import annotations

from typing import Any

from gulfsec.adapters.storage.node import WitnessState
from gulfsec.errors import TransportError
from gulfsec.ledger.note import Checkpoint, cosign, parse_note
from gulfsec.services.node.core import SHOWN_CHECKPOINT, NodeCore, log
from gulfsec.services.node.forgery import forged_indexes


class Witness:
    def __init__(self, core: NodeCore) -> None:
        self.core = core

    def cosign(self, checkpoint: Checkpoint, note_text: str, hub_time: int) -> int | None:
        """Cosign ``checkpoint`` if it is consistent with the last one this node cosigned;
        the size cosigned, or None."""
        core = self.core
        timestamp = int(core.clock.now().timestamp())
        with core.uow() as uow:
            if any(index < checkpoint.size for index in forged_indexes(uow.repo)):
                return None  # its tree holds a forgery this node proved: the alarm stands
            state = uow.repo.witness_state(for_update=True)
            if state is not None:
                if checkpoint.size < state.size:
                    return None
                if core.copy.tree.root(state.size) != state.root:
                    core.alarm(uow.repo, "split_view",
                               f"checkpoint of size {checkpoint.size} is not consistent with "
                               f"the one this node cosigned at size {state.size}",
                               {"checkpoint": note_text, "cosigned_checkpoint": state.note})
                    uow.commit()
                    return None
                if checkpoint.size == state.size and state.delivered:
                    return None
                if hub_time * 1_000_000 < state.hub_time:
                    return None
            if state is not None and checkpoint.size == state.size:
                line = state.cosignature
            else:
                line = cosign(checkpoint, core.key, timestamp).to_note_signature().line()
                uow.repo.put_witness_state(WitnessState(
                    checkpoint.size, checkpoint.root, hub_time * 1_000_000,
                    parse_note(note_text).encode(), line, False))
            uow.commit()
        try:
            core.client.post_cosignature(checkpoint.size, line)
        except TransportError as exc:
            log.warning("%s: cosignature for size %d not delivered: %s", core.party,
                        checkpoint.size, exc.message)
            return None
        with core.uow() as uow:
            state = uow.repo.witness_state(for_update=True)
            if state is not None and state.size == checkpoint.size:
                uow.repo.put_witness_state(WitnessState(
                    state.size, state.root, state.hub_time, state.note, state.cosignature, True))
                uow.commit()
        return checkpoint.size

    def view(self) -> dict[str, Any]:
        """What this node was shown and what it cosigned: for peers to compare."""
        core = self.core
        with core.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            shown = uow.repo.get_meta(SHOWN_CHECKPOINT)
            state = uow.repo.witness_state()
        return {
            "party": core.party,
            "checkpoint": shown if shown is not None else None if latest is None else latest.note,
            "cosigned": None if state is None else state.note,
            "cosignature": None if state is None else state.cosignature,
        }
