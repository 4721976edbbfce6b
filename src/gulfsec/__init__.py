"""gulfsec: a verifiable record for a collective security arrangement in the Persian Gulf."""

__version__ = "0.1.0"
