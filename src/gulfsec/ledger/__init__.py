"""The append-only Merkle log: RFC 9162 hashing, proofs and verifiers, and C2SP tiles."""
