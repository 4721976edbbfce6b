"""Asking another participant's node what checkpoint it was shown (for split-view checks)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from gulfsec.errors import TransportError


class PeerClient:
    """One pooled HTTP client for every peer of a node, made on first use and closed with the
    node: a node asks each peer every round, and a fresh client per call costs more than the
    question. Call it with a peer's base URL."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout)
            return self._client

    def __call__(self, base_url: str) -> str | None:
        """The checkpoint note the peer node holds, or None if it holds none yet."""
        try:
            response = self._http().get(f"{base_url.rstrip('/')}/v1/witness")
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TransportError(f"peer {base_url}: {exc.__class__.__name__}") from exc
        note = data.get("checkpoint") if isinstance(data, dict) else None
        if note is not None and not isinstance(note, str):
            raise TransportError(f"peer {base_url} answered a malformed checkpoint")
        return note

    def get(self, base_url: str, path: str, *, params: dict[str, Any] | None = None,
            sign: Callable[[str], dict[str, str]] | None = None) -> Any:
        """GET a peer node's ``path`` (JSON); TransportError if it cannot be had. ``sign``
        gives the headers that authenticate the request, from its target (path and query, as
        sent)."""
        try:
            http = self._http()
            request = http.build_request("GET", f"{base_url.rstrip('/')}{path}", params=params)
            if sign is not None:
                request.headers.update(sign(request.url.raw_path.decode("ascii")))
            response = http.send(request)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TransportError(f"peer {base_url}: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
