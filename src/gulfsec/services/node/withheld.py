"""Entries the hub withholds from their addressee, found through the sender's node.

If the hub serves an addressee the leaf of an entry but never its content, the addressee must
not depend on the hub to learn of it. So a node tells its peers which of the entries its party
sent each of them may read (:meth:`SentEntries.listing`, ``GET /v1/sent``, to a request signed
by that party's key), and hands over their content (``GET /v1/sent/{id}``). Each round the
addressee's node asks its peers: an entry listed for it, in its tree, that it does not hold, is
asked of the hub once more; if the hub's signed answer leaves it out, the node takes the
content from the sender's node (checked against its leaf, its signature, its audience), keeps
it, acknowledges it as ``withheld`` (so compliance does not hold it late) and raises
``withheld_entry`` with the hub's signed answer as evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from gulfsec.domain.encoding import b64decode, b64encode
from gulfsec.domain.entry import SignedEntry, parse_signed_entry
from gulfsec.domain.request_auth import RequestCredentials, sign_request
from gulfsec.errors import (
    AuthError,
    EntryError,
    GulfsecError,
    LogVerificationError,
    NotFound,
    TransportError,
)
from gulfsec.ledger.tree import leaf_hash
from gulfsec.services.node.core import NodeCore, SyncReport, log
from gulfsec.services.node.intake import Intake, served_entry
from gulfsec.services.shared.replays import ReplayGuard

WITHHELD = "withheld_ids"
"""Meta key: the entries this node got from their sender's node, the hub having withheld them."""
CURSOR = "sent_cursor:"
LISTED = 1000
"""Entries a peer lists in one answer."""
PAGES = 100
"""Answers asked of one peer in one round at most."""


@runtime_checkable
class PeerReader(Protocol):
    """Reads a peer node's JSON answers (:class:`gulfsec.adapters.peers.PeerClient`)."""

    def get(self, base_url: str, path: str, *, params: dict[str, Any] | None = None,
            sign: Callable[[str], dict[str, str]] | None = None) -> Any: ...


def withheld_ids(core: NodeCore) -> set[str]:
    with core.uow() as uow:
        return set(json.loads(uow.repo.get_meta(WITHHELD) or "[]"))


class SentEntries:
    """The sender's side: what this party sent that a peer's party may read."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core
        self.replays = ReplayGuard(core.regime.limits.clock_skew)

    def authenticate(self, creds: RequestCredentials, method: str, target: str) -> str:
        """The party a peer's signed request speaks for (its active key, as the log says)."""
        core = self.core
        try:
            key = core.copy.keyring.resolve(creds.party, creds.key_id)
        except EntryError as exc:
            raise AuthError(f"request key: {exc.message}") from None
        now = core.clock.now()
        creds.check(key, method, target, b"", now, core.regime.limits.clock_skew)
        self.replays.check(creds.party, creds.nonce, creds.time, now)
        return creds.party

    def listing(self, reader: str, after: int, limit: int = LISTED) -> list[dict[str, Any]]:
        """(index, entry id) of the entries this party sent that ``reader`` may read."""
        core = self.core
        with core.uow() as uow:
            held = uow.repo.entries_from(after, None)
        out: list[dict[str, Any]] = []
        for item in held:
            if item.sender != core.party or not (item.audience is None
                                                  or reader in item.audience):
                continue
            out.append({"index": item.index, "entry_id": item.entry_id.hex()})
            if len(out) >= limit:
                break
        return out

    def content(self, reader: str, entry_id: str) -> dict[str, Any]:
        core = self.core
        try:
            key = bytes.fromhex(entry_id)
        except ValueError:
            raise NotFound(f"no entry {entry_id!r}") from None
        with core.uow() as uow:
            item = uow.repo.entry_by_id(key)
        if item is None or item.sender != core.party or not (
                item.audience is None or reader in item.audience):
            raise NotFound(f"no entry {entry_id} sent to {reader}")
        return {"index": item.index, "entry_id": entry_id, "raw": b64encode(item.raw)}


@dataclass
class Found:
    index: int
    entry_id: str


class WithheldCheck:
    """The addressee's side: ask the peers' nodes what their parties sent this party."""

    def __init__(self, core: NodeCore, intake: Intake, peers: Sequence[str],
                 client: PeerReader | None) -> None:
        self.core = core
        self.intake = intake
        self.peers = list(peers)
        self.client = client
        self.checked_size = -1

    def run(self, report: SyncReport) -> int:
        """Look for withheld entries (when the tree grew); how many were taken in."""
        core = self.core
        if not self.peers or self.client is None or core.copy.tree.size == self.checked_size:
            return 0
        self.checked_size = core.copy.tree.size
        taken = 0
        for peer in self.peers:
            try:
                taken += self._from(peer, report)
            except (TransportError, LogVerificationError) as exc:
                log.info("%s: could not ask peer %s what it sent: %s", core.party, peer,
                         exc.message)
        return taken

    def _sign(self, target: str) -> dict[str, str]:
        return sign_request(self.core.key, self.core.party, "GET", target, b"",
                            self.core.clock.now())

    def _from(self, peer: str, report: SyncReport) -> int:
        core = self.core
        assert self.client is not None
        view = self.client.get(peer, "/v1/witness")
        sender = view.get("party") if isinstance(view, dict) else None
        if not isinstance(sender, str) or sender == core.party:
            return 0
        with core.uow() as uow:
            cursor = int(uow.repo.get_meta(CURSOR + sender) or -1)
        taken = 0
        for item in self._listed(peer, cursor):
            index, entry_id = item.get("index"), item.get("entry_id")
            if not isinstance(index, int) or not isinstance(entry_id, str) or index <= cursor:
                continue
            if index >= core.copy.tree.size:
                break  # not in this node's tree yet: a later round
            cursor = index
            try:
                if core.copy.tree.leaf_hash_at(index) != leaf_hash(bytes.fromhex(entry_id)):
                    continue  # not what the log holds there: the peer's word is not enough
            except ValueError:
                continue
            with core.uow() as uow:
                held = uow.repo.entry_by_id(bytes.fromhex(entry_id)) is not None
            if held:
                continue
            if self._take(peer, sender, Found(index, entry_id), report):
                taken += 1
        with core.uow() as uow:
            uow.repo.set_meta(CURSOR + sender, str(cursor))
            uow.commit()
        return taken

    def _listed(self, peer: str, after: int) -> Iterator[dict[str, Any]]:
        """What the peer's party sent this party after index ``after``, page by page."""
        assert self.client is not None
        for _ in range(PAGES):
            listed = self.client.get(peer, "/v1/sent", params={"after": after},
                                     sign=self._sign)
            items = [i for i in listed.get("entries", []) if isinstance(i, dict)
                     and isinstance(i.get("index"), int)] if isinstance(listed, dict) else []
            yield from items
            if len(items) < LISTED or items[-1]["index"] <= after:
                return
            after = items[-1]["index"]

    def _take(self, peer: str, sender: str, found: Found, report: SyncReport) -> bool:
        """Ask the hub once more; if its signed answer leaves the entry out, take it from the
        sender's node and raise the alarm."""
        core = self.core
        page = core.client.entries(after=found.index - 1, limit=1, raw=True)
        answer = core.client.last_answer()
        served = [i for i in page.get("entries", []) if isinstance(i, dict)]
        if served and served[0].get("index") == found.index:
            # Left out of the pages, served when asked for: kept, from the hub's copy.
            try:
                self.intake.adopt(served_entry(served[0], core.regime.limits.max_entry_bytes),
                                  found.index)
            except GulfsecError as exc:
                log.warning("%s: the hub's copy of %s does not verify: %s", core.party,
                            found.entry_id, exc.message)
                return False
            return True
        assert self.client is not None
        path = f"/v1/sent/{found.entry_id}"
        given = self.client.get(peer, path, sign=self._sign)
        try:
            signed = parse_signed_entry(b64decode(str(given.get("raw"))), max_bytes=1 << 22)
        except (GulfsecError, ValueError) as exc:
            log.warning("%s: peer %s sent a bad copy of %s: %s", core.party, peer,
                        found.entry_id, exc)
            return False
        if signed.id_hex != found.entry_id or signed.entry.sender != sender:
            return False
        try:
            self.intake.adopt(signed, found.index)
        except GulfsecError as exc:
            log.warning("%s: the copy of %s from %s does not verify: %s", core.party,
                        found.entry_id, peer, exc.message)
            return False
        self._alarm(signed, found, answer, report)
        return True

    def _alarm(self, signed: SignedEntry, found: Found, answer: Any,
               report: SyncReport) -> None:
        core = self.core
        tree = core.copy.tree
        with core.uow() as uow:
            latest = uow.repo.latest_checkpoint()
            known = set(json.loads(uow.repo.get_meta(WITHHELD) or "[]"))
            uow.repo.set_meta(WITHHELD, json.dumps(sorted({*known, signed.id_hex})))
            evidence: dict[str, Any] = {
                "entry": signed.raw.decode("utf-8"), "index": found.index,
                "entries_answer": None if answer is None else answer.to_json()}
            if latest is not None and found.index < latest.size <= tree.size:
                evidence.update(checkpoint=latest.note, inclusion_proof=[
                    b64encode(h) for h in tree.inclusion_proof(found.index, latest.size)])
            message = (f"the hub withholds entry {signed.id_hex} (index {found.index}) from "
                       f"{core.party}: its signed answer leaves it out; the entry was taken "
                       f"from {signed.entry.sender}'s node")
            core.alarm(uow.repo, "withheld_entry", message, evidence)
            uow.commit()
        report.alarms.append(f"withheld_entry: {message}")
