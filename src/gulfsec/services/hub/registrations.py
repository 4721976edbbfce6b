"""Key registrations: a participant's self-signed first key waits at the hub until the
secretariat, having compared the fingerprint out of band, countersigns it (admits it).

:class:`Registrations` is the hub's side (hold, list). :func:`find_registration` and
:func:`admit` are the secretariat's, over the hub's API: the CLI (``gulfsec hub admit``) and
the demo admit a participant through them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from gulfsec.adapters.clock import Clock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import SignedEntry, check_signatures, parse_signed_entry
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import REGISTRATION, KeyRegistration
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.validate import check_entry
from gulfsec.errors import ConfigError, EntryError, KeyFormatError
from gulfsec.services.hub.state import HubState
from gulfsec.services.participant import canonical_entry
from gulfsec.services.shared.time import from_micros, micros
from gulfsec.services.shared.unit_of_work import UnitOfWork

MAX_REGISTRATION = 1 << 16


class Registrations:
    def __init__(self, regime: Regime, engine: Engine, state: HubState, clock: Clock) -> None:
        self.regime = regime
        self.engine = engine
        self.state = state
        self.clock = clock

    def add(self, raw: bytes) -> bool:
        """Hold a party's self-signed key registration until the secretariat countersigns it.

        It must be a well-formed ``key-registration@1`` by a participant that holds no active
        key, signed by the key it registers (proof of possession).
        """
        signed = parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
        entry = signed.entry
        if entry.form != REGISTRATION:
            raise EntryError(f"expected a key-registration@1 entry, got {entry.form}",
                             entry_id=signed.id_hex)
        check_entry(signed, self.regime, self.clock.now())
        reg = get_form(REGISTRATION).parse(entry.body)
        assert isinstance(reg, KeyRegistration)
        if reg.party != entry.sender or not self.regime.is_participant(entry.sender):
            raise EntryError("a participant registers only its own key", entry_id=signed.id_hex)
        with self.state.lock:
            if self.state.keyring.active_key(entry.sender) is not None:
                raise EntryError(f"{entry.sender} already holds an active key",
                                 entry_id=signed.id_hex)
        try:
            new = VerifierKey.parse(reg.vkey)
        except KeyFormatError as exc:
            raise EntryError(f"vkey: {exc}", entry_id=signed.id_hex) from None
        if new.name != entry.sender or new.key_id_hex != entry.key:
            raise EntryError("the entry must be signed by the key it registers",
                             entry_id=signed.id_hex)
        if len(signed.signatures) != 1:
            raise EntryError("a registration request carries only the party's signature",
                             entry_id=signed.id_hex)
        check_signatures(signed, [(entry.sender, entry.key)], lambda _p, _k: new)
        with UnitOfWork(self.engine) as uow:
            added = uow.repo.add_pending_registration(signed.id, entry.sender, entry.key,
                                                      signed.raw, micros(self.clock.now()))
            uow.commit()
        return added

    def pending(self) -> list[dict[str, object]]:
        """Registrations waiting for the secretariat, with the fingerprints to compare.

        A registration is never dropped from the list silently: if the party holds another
        key by now (the secretariat admitted another registration in its name), it stays,
        with ``superseded_by`` naming the key the log holds instead — what the party, and
        everyone, must be able to see.
        """
        with UnitOfWork(self.engine) as uow:
            rows = uow.repo.pending_registrations()
        out: list[dict[str, object]] = []
        for party, key_id, raw, received in rows:
            with self.state.lock:
                active = self.state.keyring.active_key(party)
            if active is not None and active.key.key_id_hex == key_id:
                continue  # admitted
            signed = parse_signed_entry(raw, max_bytes=self.regime.limits.max_entry_bytes)
            reg = get_form(REGISTRATION).parse(signed.entry.body)
            assert isinstance(reg, KeyRegistration)
            out.append({"party": party, "key_id": key_id, "vkey": reg.vkey,
                        "fingerprint": VerifierKey.parse(reg.vkey).fingerprint,
                        "received_at": format_time(from_micros(received)),
                        "superseded_by": None if active is None else active.key.key_id_hex,
                        "entry": signed.to_json()})
        return out



@dataclass(frozen=True)
class Admission:
    """What the secretariat admitted: the party, its key, and where the log put it."""

    party: str
    key: VerifierKey
    entry_id: str
    index: int
    duplicate: bool


def registration_from(raw: bytes, where: str) -> tuple[SignedEntry, VerifierKey]:
    """A party's registration request (its canonical bytes) and the key it registers."""
    signed = parse_signed_entry(raw, max_bytes=MAX_REGISTRATION)
    if signed.entry.form != REGISTRATION:
        raise ConfigError(f"{where} is a {signed.entry.form} entry, not a registration")
    reg = get_form(REGISTRATION).parse(signed.entry.body)
    assert isinstance(reg, KeyRegistration)
    try:
        key = VerifierKey.parse(reg.vkey)
    except KeyFormatError as exc:
        raise ConfigError(f"{where}: vkey: {exc}") from None
    return signed, key


def find_registration(client: HubClient, party: str) -> tuple[SignedEntry, VerifierKey]:
    """The latest registration ``party`` sent to the hub, still waiting for the secretariat."""
    pending = [p for p in client.pending_registrations() if p.get("party") == party]
    if not pending:
        raise ConfigError(f"no registration from {party} is waiting at the hub")
    return registration_from(canonical_entry(pending[-1]["entry"]),
                             f"the registration {party} sent to the hub")


def admit(client: HubClient, registration: SignedEntry, secretariat: SigningKey) -> Admission:
    """Countersign ``registration`` as the secretariat and submit it: the party is admitted.

    Compare the key's fingerprint with the one the party sent out of band first.
    """
    _, key = registration_from(registration.raw, "the registration")
    receipt = client.submit(registration.countersigned(secretariat).raw)
    return Admission(registration.entry.sender, key, str(receipt["entry_id"]),
                     int(receipt["index"]), bool(receipt.get("duplicate")))
