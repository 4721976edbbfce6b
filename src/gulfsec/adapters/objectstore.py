"""An S3-compatible bucket that the hub publishes its static tlog-tiles to (:mod:`boto3`).

Three operations, each a conditional write where it matters, so that nothing already
published is ever overwritten by mistake:

- :meth:`ObjectStore.create` writes an object only if the key is free (``If-None-Match: *``).
  An object already there (412) is read back: the same bytes are fine (a re-publish after a
  crash), other bytes raise :class:`ObjectConflict` — a tile never changes.
- :meth:`ObjectStore.replace` writes an object only if it still carries the ETag the caller
  read (``If-Match``), or, given no ETag, only if the key is free: a compare-and-swap, for the
  checkpoint. A 412 (or a 404 for an ETag of an object gone since) raises
  :class:`ObjectConflict`.
- :meth:`ObjectStore.get` reads an object and its ETag, or None.

boto3's and botocore's exceptions stop here: a store that cannot be reached or refuses a
request is an :class:`ObjectStoreError` (a :class:`~gulfsec.errors.TransportError`), a
conditional write that loses is an :class:`ObjectConflict` (a subclass)::

    TransportError
    └── ObjectStoreError             the object store failed or refused a request
        └── ObjectConflict           a conditional write lost: the object is not as expected
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gulfsec.errors import TransportError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

__all__ = ["ObjectConflict", "ObjectStore", "ObjectStoreError", "StoredObject"]

_CONNECT_TIMEOUT_S = 5.0
_READ_TIMEOUT_S = 30.0


class ObjectStoreError(TransportError):
    """The object store could not be reached, or refused a request (``key``: which object)."""

    code = "object_store"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ObjectConflict(ObjectStoreError):
    """A conditional write lost: the object exists with other bytes (a create), or is no
    longer the one the caller read (a compare-and-swap)."""

    code = "object_conflict"


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str


class ObjectStore:
    """One bucket (and a key prefix in it) of an S3-compatible store.

    ``prefix`` is put before every key (``<prefix>/<key>``); empty, keys are used as given.
    The client is safe to share between threads, as boto3's clients are.
    """

    def __init__(self, endpoint: str, bucket: str, *, access_key_id: str,
                 secret_access_key: str, region: str = "us-east-1", prefix: str = "",
                 client: S3Client | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._s3: S3Client = client or boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=region,
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(connect_timeout=_CONNECT_TIMEOUT_S, read_timeout=_READ_TIMEOUT_S,
                          retries={"mode": "standard", "max_attempts": 2},
                          s3={"addressing_style": "path"}))

    def __repr__(self) -> str:
        return f"ObjectStore({self.where()!r})"

    def where(self, key: str = "") -> str:
        """Where an object is, for messages: ``<endpoint>/<bucket>/<prefix>/<key>``."""
        return "/".join(part for part in (self.endpoint, self.bucket, self.prefix, key) if part)

    def key(self, key: str) -> str:
        """The object's key in the bucket, with the prefix."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def get(self, key: str) -> StoredObject | None:
        """The object's bytes and ETag, or None if there is no such object."""
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=self.key(key))
            data = answer["Body"].read()
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise self._error("read", key, exc) from None
        except BotoCoreError as exc:
            raise self._error("read", key, exc) from None
        return StoredObject(data, answer["ETag"])

    def create(self, key: str, data: bytes, content_type: str, *,
               cache_control: str | None = None) -> bool:
        """Write ``data`` only if ``key`` is free: True if written, False if the same bytes
        were there already; :class:`ObjectConflict` if other bytes are."""
        try:
            self._put(key, data, content_type, cache_control, IfNoneMatch="*")
            return True
        except ClientError as exc:
            if _status(exc) not in (409, 412):  # 409: a concurrent conditional write
                raise self._error("write", key, exc) from None
        except BotoCoreError as exc:
            raise self._error("write", key, exc) from None
        existing = self.get(key)
        if existing is None:  # created and gone again in between: nothing to trust
            raise ObjectConflict(f"{self.where(key)} existed, then vanished while it was "
                                 "compared", key=key)
        if existing.data != data:
            raise ObjectConflict(f"{self.where(key)} already holds other bytes "
                                 f"({len(existing.data)} bytes, not the {len(data)} "
                                 "to be published)", key=key)
        return False

    def replace(self, key: str, data: bytes, content_type: str, etag: str | None, *,
                cache_control: str | None = None) -> str:
        """Write ``data`` only if the object still carries ``etag`` (or, with None, only if
        there is none yet); its new ETag. :class:`ObjectConflict` if it changed meanwhile."""
        condition: dict[str, Any] = {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}
        try:
            return self._put(key, data, content_type, cache_control, **condition)
        except ClientError as exc:
            # 412: not the ETag (or no longer free); 404: the object read is gone since;
            # 409: a concurrent conditional write to the same key won.
            if _status(exc) in (404, 409, 412):
                raise ObjectConflict(
                    f"{self.where(key)} changed since it was read (expected "
                    f"{'no object' if etag is None else 'ETag ' + etag})", key=key) from None
            raise self._error("write", key, exc) from None
        except BotoCoreError as exc:
            raise self._error("write", key, exc) from None

    def _put(self, key: str, data: bytes, content_type: str, cache_control: str | None,
             **condition: Any) -> str:
        extra: dict[str, Any] = dict(condition)
        if cache_control is not None:
            extra["CacheControl"] = cache_control
        answer = self._s3.put_object(Bucket=self.bucket, Key=self.key(key), Body=data,
                                     ContentType=content_type, **extra)
        return answer["ETag"]

    def _error(self, doing: str, key: str, exc: Exception) -> ObjectStoreError:
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            why = f"{_status(exc)} {error.get('Code', 'error')}: {error.get('Message', '')}"
        else:
            why = f"{exc.__class__.__name__}: {exc}"
        return ObjectStoreError(f"cannot {doing} {self.where(key)}: {why.strip()}", key=key)


def _status(exc: ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
