"""The HTTP client a participant (its node, or the CLI) uses to talk to the hub.

It signs every request that needs it with the participant's key and turns transport failures and
error answers into :class:`TransportError` / :class:`RemoteError` at this edge. Given the log key
it pinned, it checks that every answer is signed by it (:mod:`gulfsec.ledger.answers`) and keeps
the last signed answer of each thread (:meth:`HubClient.last_answer`): the evidence a node keeps
when an answer turns out to be a lie.

The log's checkpoint and tiles are static files: :class:`LogMirror` reads them from wherever the
hub publishes them (an object store's public URL, :mod:`gulfsec.services.hub.publish`). Given a
``tiles_url``, a :class:`HubClient` takes its tiles from there, and from the hub only what the
copy does not hold (yet). Nothing read from a copy is signed by the hub as an answer: the caller
verifies it, as it does what the hub serves (the checkpoint against the pinned log key, the
tiles against the checkpoint's root).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from typing import Any

import httpx

from gulfsec.adapters.clock import Clock, SystemClock
from gulfsec.domain.encoding import JSONError, parse_json, parse_json_fast
from gulfsec.domain.keys import SigningKey, VerifierKey
from gulfsec.domain.request_auth import sign_request
from gulfsec.errors import AnswerSignatureError, AttachmentError, RemoteError, TransportError
from gulfsec.ledger.answers import SignedAnswer, answer_from_headers

log = logging.getLogger("gulfsec.client")


class MirrorError(TransportError):
    """The log's copy could not be read: ``status`` is its HTTP answer (404: it has no such
    file), None when it could not be reached."""

    code = "mirror"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LogMirror:
    """The log's static tlog-tiles where the hub publishes them: ``<base_url>/checkpoint``
    and ``<base_url>/tile/...``, read over plain HTTP(S), signed by nobody as answers.
    :class:`MirrorError` when they cannot be read (a missing file included)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LogMirror:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get(self, path: str) -> bytes:
        try:
            response = self._http.get(f"/{path}")
        except httpx.HTTPError as exc:
            raise MirrorError(f"cannot reach the log's copy at {self.base_url}: "
                              f"{exc.__class__.__name__}: {exc}") from exc
        if response.status_code != 200:
            raise MirrorError(f"the log's copy at {self.base_url} has no {path} "
                              f"(HTTP {response.status_code})", status=response.status_code)
        return response.content

    def checkpoint(self) -> str:
        """The latest checkpoint published (unverified)."""
        try:
            return self._get("checkpoint").decode("utf-8")
        except UnicodeDecodeError:
            raise MirrorError(f"the checkpoint at {self.base_url} is not UTF-8 text") from None

    def tile(self, path: str) -> bytes:
        """A hash tile or entry bundle, by its tlog-tiles path (``tile/...``; unverified)."""
        return self._get(path)


class HubClient:
    def __init__(self, base_url: str, *, party: str | None = None, key: SigningKey | None = None,
                 clock: Clock | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 log_key: VerifierKey | None = None, tiles_url: str | None = None) -> None:
        """With ``log_key``, every answer must be signed by it (else AnswerSignatureError);
        with ``tiles_url``, tiles are read from that copy of the log first (:class:`LogMirror`)."""
        self.base_url = base_url.rstrip("/")
        self.party = party
        self.key = key
        self.log_key = log_key
        self.clock = clock or SystemClock()
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self.timeout = timeout
        self._answers = threading.local()
        self.mirror = None if tiles_url is None else LogMirror(tiles_url, timeout=timeout)
        self._mirror_warned = False

    def last_answer(self) -> SignedAnswer | None:
        """The signed answer to this thread's last request (None if it was not signed, or no
        log key is pinned and it carried no signature)."""
        answer: SignedAnswer | None = getattr(self._answers, "last", None)
        return answer

    def _keep_answer(self, method: str, target: str, response: httpx.Response) -> None:
        self._answers.last = None
        origin = self.log_key.name if self.log_key is not None else ""
        try:
            answer = answer_from_headers(origin, method, target, response.status_code,
                                         response.content, response.headers)
        except AnswerSignatureError:
            if self.log_key is not None:
                raise
            return
        if self.log_key is not None:
            answer.verify(self.log_key)
        self._answers.last = answer

    def close(self) -> None:
        self._http.close()
        if self.mirror is not None:
            self.mirror.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 content: bytes = b"", signed: bool = False,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        request = self._http.build_request(method, path, params=params, content=content or None,
                                           headers=headers)
        target = request.url.raw_path.decode("ascii")
        if signed:
            if self.key is None or self.party is None:
                raise TransportError("this request must be signed: give the participant's key")
            request.headers.update(
                sign_request(self.key, self.party, method, target, content, self.clock.now())
            )
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot reach the hub at {self.base_url}: "
                                 f"{exc.__class__.__name__}: {exc}") from exc
        self._keep_answer(method, target, response)
        if response.status_code >= 400:
            try:
                body = parse_json(response.content)
                if not isinstance(body, dict):
                    body = {"message": response.text[:200]}
            except JSONError:
                body = {"message": response.text[:200] or response.reason_phrase}
            raise RemoteError(response.status_code, body)
        return response

    def _json(self, response: httpx.Response) -> Any:
        # Fast parsing: nothing the hub says is trusted as parsed; entries are re-encoded
        # canonically and their ids and signatures checked, proofs and notes verified.
        try:
            return parse_json_fast(response.content)
        except JSONError as exc:
            raise TransportError(f"the hub sent invalid JSON: {exc}") from exc

    # -- public ----------------------------------------------------------------------------

    def log_info(self) -> dict[str, Any]:
        return dict(self._json(self._request("GET", "/v1/log")))

    def checkpoint(self, *, wait_after: int | None = None, wait_s: float = 0.0) -> str:
        """The latest checkpoint with its cosignatures; with ``wait_after``, long-poll until
        the log is larger than that size (at most ``wait_s`` seconds)."""
        params: dict[str, Any] | None = None
        if wait_after is not None and wait_s > 0:
            params = {"wait_after": wait_after, "wait": wait_s}
        return self._request("GET", "/v1/checkpoint", params=params).text

    def post_cosignature(self, size: int, line: str) -> dict[str, Any]:
        body = json.dumps({"size": size, "signature": line.rstrip("\n")}).encode()
        response = self._request("POST", "/v1/cosignatures", content=body,
                                 headers={"Content-Type": "application/json"})
        return dict(self._json(response))

    def cosignatures(self, since: int = 0) -> list[dict[str, Any]]:
        """Witness cosignatures the hub received at or after ``since`` (µs), oldest first."""
        data = self._json(self._request("GET", "/v1/cosignatures", params={"since": since}))
        items = data.get("cosignatures") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise TransportError("the hub's list of cosignatures is malformed")
        return items

    def checkpoint_at(self, size: int) -> str:
        return self._request("GET", f"/v1/checkpoints/{size}").text

    def consistency(self, old: int, new: int) -> dict[str, Any]:
        return dict(self._json(self._request("GET", "/v1/proof/consistency",
                                             params={"old": old, "new": new})))

    def inclusion(self, index: int, size: int) -> dict[str, Any]:
        return dict(self._json(self._request("GET", "/v1/proof/inclusion",
                                             params={"index": index, "size": size})))

    def keys(self) -> list[dict[str, Any]]:
        return list(self._json(self._request("GET", "/v1/keys")))

    def tile(self, path: str) -> bytes:
        """A hash tile or entry bundle (unverified): from the log's copy at ``tiles_url`` if
        it has it, else from the hub (the copy trails the hub by a publication or so)."""
        if self.mirror is not None:
            try:
                data = self.mirror.tile(path)
            except MirrorError as exc:
                self._mirror_missed(exc)
            else:
                self._answers.last = None  # nothing the hub signed
                return data
        return self._request("GET", f"/log/{path}").content

    def _mirror_missed(self, exc: MirrorError) -> None:
        if exc.status == 404 or self._mirror_warned:
            log.debug("%s; asking the hub", exc.message)
            return
        self._mirror_warned = True  # once: a copy that fails goes on failing
        log.warning("%s; the tiles come from the hub instead", exc.message)

    def submit(self, raw: bytes) -> dict[str, Any]:
        response = self._request("POST", "/v1/entries", content=raw,
                                 headers={"Content-Type": "application/json"})
        return dict(self._json(response))

    def register(self, raw: bytes) -> dict[str, Any]:
        """Hand a self-signed key registration to the hub, to wait for the secretariat."""
        response = self._request("POST", "/v1/registrations", content=raw,
                                 headers={"Content-Type": "application/json"})
        return dict(self._json(response))

    def pending_registrations(self) -> list[dict[str, Any]]:
        return list(self._json(self._request("GET", "/v1/registrations"))["registrations"])

    def submit_batch(self, raws: list[bytes]) -> list[dict[str, Any]]:
        """Submit signed entries in order; one result (receipt or error) per entry."""
        response = self._request("POST", "/v1/entries/batch", content=b"[" + b",".join(raws) + b"]",
                                 headers={"Content-Type": "application/json"})
        return list(self._json(response)["results"])

    # -- signed ----------------------------------------------------------------------------

    def entries(self, after: int = -1, limit: int = 100, *, raw: bool = False) -> dict[str, Any]:
        """Entries this participant may read after an index; with ``raw``, each entry as its
        canonical bytes (base64) instead of JSON."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if raw:
            params["format"] = "raw"
        return dict(self._json(self._request("GET", "/v1/entries", params=params,
                                             signed=True)))

    def entry(self, entry_id: str) -> dict[str, Any]:
        return dict(self._json(self._request("GET", f"/v1/entries/{entry_id}", signed=True)))

    def entry_proof(self, entry_id: str, size: int | None = None) -> dict[str, Any]:
        params = {"size": size} if size is not None else None
        return dict(self._json(self._request("GET", f"/v1/entries/{entry_id}/proof",
                                             params=params, signed=True)))

    def compliance(self, *, party: str | None = None, year: int | None = None,
                   fmt: str = "json") -> str:
        """Findings over what this participant may read, as JSON, CSV or a table."""
        params: dict[str, Any] = {"format": fmt}
        if party is not None:
            params["party"] = party
        if year is not None:
            params["year"] = year
        return self._request("GET", "/v1/compliance", params=params, signed=True).text

    def party_status(self) -> dict[str, Any]:
        return dict(self._json(self._request("GET", "/v1/me", signed=True)))

    def news_alerts(self) -> list[dict[str, Any]]:
        """The secretariat's early-warning alerts for the pairs that include this party."""
        found = self._json(self._request("GET", "/v1/news/alerts", signed=True))
        return [dict(a) for a in found.get("alerts", [])]

    def put_blob(self, data: bytes, media_type: str) -> dict[str, Any]:
        """Upload a file to carry with entries (before the entry naming it is sent); the
        hub's answer: its ``sha256``, ``size`` and ``media_type``."""
        sha256 = hashlib.sha256(data).hexdigest()
        response = self._request("PUT", f"/v1/blobs/{sha256}", content=data, signed=True,
                                 headers={"Content-Type": media_type})
        answer = self._json(response)
        if not isinstance(answer, dict) or answer.get("sha256") != sha256:
            raise TransportError(f"the hub's answer to the upload of {sha256} does not name it")
        return dict(answer)

    def blob(self, sha256: str) -> bytes:
        """The file with this SHA-256, if this participant may have it; AttachmentError when
        the hub sends other bytes."""
        data = self._request("GET", f"/v1/blobs/{sha256}", signed=True).content
        got = hashlib.sha256(data).hexdigest()
        if got != sha256:
            raise AttachmentError(f"the hub sent a file whose SHA-256 is {got}, not {sha256}",
                                  sha256=sha256)
        return data
