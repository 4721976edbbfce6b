"""The outbox: what this party signs is stored before it is sent, so a crash loses nothing and
never reuses a sequence number.

:meth:`Outbox.send` signs an entry as the party's next and stores it in the same transaction
as the confirmation that asked for it (a delegate's click on the pages, or none for the CLI and
the node's own acknowledgements); the same confirmation again, even after a crash and a
restart, finds the entry already signed and signs nothing new. :meth:`Outbox.flush` then
delivers what waits, in sequence order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.entry import Audience, SignedEntry, parse_signed_entry
from gulfsec.errors import MalformedEntry, RemoteError, TransportError
from gulfsec.services.node.core import NodeCore, log
from gulfsec.services.participant import compose
from gulfsec.services.shared.time import micros

MAX_CONFIRMATION = 100
"""Longest confirmation token accepted (the pages make 24 characters)."""


class Outbox:
    def __init__(self, core: NodeCore) -> None:
        self.core = core

    def next_seq(self, repo: NodeRepository) -> int:
        """The party's next sequence number: after what the log holds, what waits in the
        outbox, and its key registration (entry 0), even before the first sync."""
        outbox_max = repo.max_outbox_seq()
        seen = self.core.copy.last_seq.get(self.core.party, -1)
        registered = int(repo.get_meta("registration_seq") or -1)
        return max(seen, registered, -1 if outbox_max is None else outbox_max) + 1

    def send(self, form: str, audience: Audience, body: dict[str, Any],
             refs: Sequence[str] = (), *, confirmation: str | None = None,
             deliver: bool = True) -> tuple[SignedEntry, bool]:
        """Sign an entry as this party's next, store it, then try to deliver it.

        Returns the entry and whether it was signed now: False when ``confirmation`` was
        already used, in which case the entry signed then is returned and nothing is signed.
        """
        if confirmation is not None and not 0 < len(confirmation) <= MAX_CONFIRMATION:
            raise MalformedEntry("the confirmation is missing or too long: preview the entry "
                                 "again")
        core = self.core
        with core.lock:
            with core.uow() as uow:
                if confirmation is not None:
                    done = uow.repo.outbox_confirmed(confirmation)
                    if done is not None:
                        return parse_signed_entry(done.raw, max_bytes=1 << 22), False
                seq = self.next_seq(uow.repo)
                now = core.clock.now()
                signed = compose(core.key, core.party, form=form, audience=audience, body=body,
                                 seq=seq, now=now, refs=refs)
                uow.repo.add_outbox(seq, signed.id, signed.raw, micros(now), confirmation)
                uow.commit()
            if deliver:
                self.flush()
            return signed, True

    def flush(self) -> int:
        """Deliver pending outbox entries in sequence order; returns how many were sequenced."""
        core = self.core
        delivered = 0
        with core.uow() as uow:
            pending = uow.repo.outbox_items(pending_only=True)
        for item in pending:
            try:
                receipt = core.client.submit(item.raw)
            except RemoteError as exc:
                with core.uow() as uow:
                    uow.repo.mark_outbox(item.seq, index=None, error=exc.message)
                    uow.commit()
                log.warning("%s: hub refused outbox entry %d: %s", core.party, item.seq,
                            exc.message)
                break
            except TransportError as exc:
                log.info("%s: hub unreachable, outbox kept: %s", core.party, exc.message)
                break
            with core.uow() as uow:
                uow.repo.mark_outbox(item.seq, index=int(receipt["index"]), error=None)
                uow.commit()
            delivered += 1
        return delivered

    def pending(self) -> int:
        with self.core.uow() as uow:
            return len(uow.repo.outbox_items(pending_only=True))
