"""Asking another participant's node what checkpoint it was shown (for split-view checks)."""

from __future__ import annotations

import httpx

from gulfsec.errors import TransportError


def fetch_peer_checkpoint(base_url: str, timeout: float = 5.0) -> str | None:
    """The checkpoint note the peer node holds, or None if it holds none yet."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/v1/witness", timeout=timeout)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TransportError(f"peer {base_url}: {exc.__class__.__name__}") from exc
    note = data.get("checkpoint") if isinstance(data, dict) else None
    if note is not None and not isinstance(note, str):
        raise TransportError(f"peer {base_url} answered a malformed checkpoint")
    return note
