"""The hub's use cases: sequencing, reading, witnesses, registrations, its pages' views."""

from gulfsec.services.hub.hub import Hub, ReadEntry, Receipt

__all__ = ["Hub", "ReadEntry", "Receipt"]
