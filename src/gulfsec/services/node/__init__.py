"""A participant's node: outbox, sync, intake, witnessing, finality, acknowledgements, audit."""

from gulfsec.services.node.node import Node, SyncReport, Unacknowledged, VerifyReport

__all__ = ["Node", "SyncReport", "Unacknowledged", "VerifyReport"]
