"""Asking another participant's node what checkpoint it was shown (for split-view checks)."""

from __future__ import annotations

from functools import cache

import httpx

from gulfsec.errors import TransportError


@cache
def _client() -> httpx.Client:
    """One pooled client for every peer (made on first use): a node asks each peer every
    round, and a fresh client per call costs more than the question."""
    return httpx.Client(timeout=5.0)


def fetch_peer_checkpoint(base_url: str) -> str | None:
    """The checkpoint note the peer node holds, or None if it holds none yet."""
    try:
        response = _client().get(f"{base_url.rstrip('/')}/v1/witness")
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TransportError(f"peer {base_url}: {exc.__class__.__name__}") from exc
    note = data.get("checkpoint") if isinstance(data, dict) else None
    if note is not None and not isinstance(note, str):
        raise TransportError(f"peer {base_url} answered a malformed checkpoint")
    return note
