"""Who holds which key, as the log says.

The keyring is rebuilt from the key entries in log order (registration, rotation, revocation), so
any participant can recompute it from its own copy. It answers two questions: which key ids must
have signed a given entry (:meth:`Keyring.required_signers`), and what public key a (party, key
id) stands for (:meth:`Keyring.resolve`). A revoked or rotated-out key resolves to RevokedKey.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gulfsec.domain.entry import CheckedSignatures, SignedEntry, check_signatures
from gulfsec.domain.forms import get_form
from gulfsec.domain.forms.keys import (
    REGISTRATION,
    REVOCATION,
    ROTATION,
    KeyRegistration,
    KeyRevocation,
    KeyRotation,
)
from gulfsec.domain.keys import VerifierKey
from gulfsec.errors import EntryError, KeyFormatError, RevokedKey, UnknownKey


@dataclass(frozen=True)
class KeyRecord:
    party: str
    key: VerifierKey
    registered_at: int
    """Log index of the entry that registered the key."""
    revoked_at: int | None = None
    """Log index of the entry that rotated it out or revoked it."""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Keyring:
    """Mutable view of the keys; apply sequenced key entries in log order."""

    def __init__(self, secretariat: str, records: Iterable[KeyRecord] = ()) -> None:
        self.secretariat = secretariat
        self._records: dict[tuple[str, str], KeyRecord] = {}
        for record in records:
            self._records[(record.party, record.key.key_id_hex)] = record

    def copy(self) -> Keyring:
        return Keyring(self.secretariat, self._records.values())

    def records(self) -> list[KeyRecord]:
        return sorted(self._records.values(), key=lambda r: r.registered_at)

    def joined(self) -> dict[str, int]:
        """Each party's first key registration: the log index at which it joined the log."""
        first: dict[str, int] = {}
        for record in self._records.values():
            if record.registered_at < first.get(record.party, record.registered_at + 1):
                first[record.party] = record.registered_at
        return first

    def active_key(self, party: str) -> KeyRecord | None:
        for record in self._records.values():
            if record.party == party and record.active:
                return record
        return None

    def resolve_ever(self, party: str, kid: str) -> tuple[VerifierKey, bool]:
        """A key the party holds or once held, and whether it is still active (UnknownKey if
        it never held it)."""
        record = self._records.get((party, kid))
        if record is None:
            raise UnknownKey(f"{party} has no registered key {kid}")
        return record.key, record.active

    def key_if_active(self, party: str, kid: str) -> VerifierKey | None:
        """The party's key with this id if it is active; None else (no error)."""
        record = self._records.get((party, kid))
        return record.key if record is not None and record.active else None

    def resolve(self, party: str, kid: str) -> VerifierKey:
        record = self._records.get((party, kid))
        if record is None:
            raise UnknownKey(f"{party} has no registered key {kid}")
        if not record.active:
            raise RevokedKey(f"{party} key {kid} was retired at log index {record.revoked_at}")
        return record.key

    # -- checking an entry ----------------------------------------------------------------

    def _new_key(self, party: str, vkey_text: str, signed: SignedEntry) -> VerifierKey:
        try:
            key = VerifierKey.parse(vkey_text)
        except (KeyFormatError, ValueError) as exc:
            raise EntryError(f"vkey: {exc}", entry_id=signed.id_hex) from None
        if key.name != party:
            raise EntryError(
                f"vkey is named {key.name!r}, expected the party code {party!r}",
                entry_id=signed.id_hex,
            )
        if (party, key.key_id_hex) in self._records:
            raise EntryError(f"{party} key {key.key_id_hex} was registered before",
                             entry_id=signed.id_hex)
        return key

    def verify(self, signed: SignedEntry, checked: CheckedSignatures | None = None) -> None:
        """Check the entry's signatures and key rules against the keyring as it stands.

        Raises UnknownKey, RevokedKey, BadSignature or EntryError; returns None when good.
        Signatures in ``checked`` (already verified in bulk) are not verified again.
        """
        entry = signed.entry
        form = get_form(entry.form)
        if entry.form == REGISTRATION:
            reg = form.parse(entry.body)
            assert isinstance(reg, KeyRegistration)
            if reg.party != entry.sender:
                raise EntryError("a party registers only its own key", entry_id=signed.id_hex)
            if self.active_key(entry.sender) is not None:
                raise EntryError(
                    f"{entry.sender} already holds an active key; announce a new one with "
                    "key-rotation@1",
                    entry_id=signed.id_hex,
                )
            new = self._new_key(entry.sender, reg.vkey, signed)
            if new.key_id_hex != entry.key:
                raise EntryError("entry.key must be the id of the key being registered",
                                 entry_id=signed.id_hex)
            signers = [(entry.sender, entry.key)]
            if entry.sender == self.secretariat and any(
                record.party == self.secretariat for record in self._records.values()
            ):
                # Self-registration is for genesis only: once the secretariat has had a key,
                # nobody may claim the role by signing a registration with a fresh one.
                raise EntryError(
                    "the secretariat registers itself only once, at genesis; announce a new "
                    "key with key-rotation@1",
                    entry_id=signed.id_hex,
                )
            if entry.sender != self.secretariat:
                sec = self.active_key(self.secretariat)
                if sec is None:
                    raise UnknownKey("the secretariat has no key yet to countersign with")
                signers.append((self.secretariat, sec.key.key_id_hex))

            def resolve(party: str, kid: str) -> VerifierKey:
                return new if (party, kid) == (entry.sender, entry.key) else self.resolve(
                    party, kid
                )

            check_signatures(signed, signers, resolve, checked)
        elif entry.form == ROTATION:
            rot = form.parse(entry.body)
            assert isinstance(rot, KeyRotation)
            new = self._new_key(entry.sender, rot.vkey, signed)
            new_kid = new.key_id_hex

            def resolve_rot(party: str, kid: str) -> VerifierKey:
                return new if (party, kid) == (entry.sender, new_kid) else self.resolve(party, kid)

            check_signatures(signed, [(entry.sender, entry.key), (entry.sender, new_kid)],
                             resolve_rot, checked)
        elif entry.form == REVOCATION:
            rev = form.parse(entry.body)
            assert isinstance(rev, KeyRevocation)
            if entry.sender not in (self.secretariat, rev.party):
                raise EntryError("only the secretariat or the key's party may revoke a key",
                                 entry_id=signed.id_hex)
            self.resolve(rev.party, rev.key)
            check_signatures(signed, [(entry.sender, entry.key)], self.resolve, checked)
        else:
            check_signatures(signed, [(entry.sender, entry.key)], self.resolve, checked)

    def verify_as_of(self, signed: SignedEntry, index: int) -> None:
        """Check the signature of an entry taken out of log order (one the hub withheld, had
        from its sender's node) against the keys as they stood at its ``index``.

        Key entries change the keyring and are taken only in log order: EntryError for them.
        """
        entry = signed.entry
        if self.changed_by(signed):
            raise EntryError("a key entry is taken only in log order", entry_id=signed.id_hex)

        def resolve(party: str, kid: str) -> VerifierKey:
            record = self._records.get((party, kid))
            if record is None or record.registered_at >= index:
                raise UnknownKey(f"{party} had no registered key {kid} at log index {index}")
            if record.revoked_at is not None and record.revoked_at < index:
                raise RevokedKey(f"{party} key {kid} was retired at log index "
                                 f"{record.revoked_at}, before {index}")
            return record.key

        check_signatures(signed, [(entry.sender, entry.key)], resolve)

    # -- applying a sequenced entry -------------------------------------------------------

    def apply(self, signed: SignedEntry, index: int) -> None:
        """Record the effect of a key entry sequenced at ``index`` (no-op for other forms)."""
        entry = signed.entry
        if entry.form == REGISTRATION:
            reg = get_form(REGISTRATION).parse(entry.body)
            key = VerifierKey.parse(reg.vkey)
            self._records[(entry.sender, key.key_id_hex)] = KeyRecord(entry.sender, key, index)
        elif entry.form == ROTATION:
            rot = get_form(ROTATION).parse(entry.body)
            key = VerifierKey.parse(rot.vkey)
            self._retire(entry.sender, entry.key, index)
            self._records[(entry.sender, key.key_id_hex)] = KeyRecord(entry.sender, key, index)
        elif entry.form == REVOCATION:
            rev = get_form(REVOCATION).parse(entry.body)
            self._retire(rev.party, rev.key, index)

    def _retire(self, party: str, kid: str, index: int) -> None:
        old = self._records[(party, kid)]
        self._records[(party, kid)] = KeyRecord(party, old.key, old.registered_at, index)

    def changed_by(self, signed: SignedEntry) -> bool:
        return signed.entry.form in (REGISTRATION, ROTATION, REVOCATION)
