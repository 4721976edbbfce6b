"""The people who sign in to the web pages: accounts, passwords and sessions.

A node's delegates sign in to their node's pages as a ``viewer`` (reads everything the node
holds) or an ``officer`` (may also sign and send entries in the party's name); the secretariat's
staff sign in to the hub's pages with the role ``secretariat``. Accounts live in the database of
the node or the hub they are for (see :mod:`gulfsec.adapters.storage.accounts`).

- Passwords are hashed with scrypt (``hashlib.scrypt``, N=2**15, r=8, p=1, a random 16-byte
  salt per password), encoded as ``scrypt$ln=15,r=8,p=1$<salt>$<hash>`` so the cost can be
  raised later without breaking stored hashes. A wrong name and a wrong password get the same
  answer, after the same work.
- A session is a random token (256 bits) in a cookie; the database keeps only its SHA-256. It
  expires after :attr:`SessionPolicy.idle` without use or :attr:`SessionPolicy.absolute` after
  sign-in, whichever comes first. Each session carries its own CSRF token (a synchronizer
  token) that every form posts back.
- Password guessing is throttled (:class:`ThrottlePolicy`), per account name and, separately,
  per client address over all accounts: after 5 failed sign-ins, each less than 15 minutes
  after the one before, every sign-in there (the right password too) is refused for 30
  seconds, then 1, 2, 4 and at most 5 minutes as failures go on, with
  :class:`~gulfsec.errors.SignInThrottled` saying how long to wait. A name with no account is
  counted and throttled exactly like one with an account, so the answers tell nothing about
  which names exist. The counts live in the database (``*_signin_failures``), so every process
  of a node or the hub counts the same guesses and a restart forgets none; the wait is read
  from the injected clock. An attempt is counted as a failure before its password is checked
  (so that a burst of parallel guesses cannot all pass the check before any is counted) and
  taken back if it succeeds. A success forgets the account's failures, but not its address's:
  otherwise anyone with an account of their own could clear their address's count between
  guesses at others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.engine import Connection, Engine

from gulfsec.adapters.clock import Clock, SystemClock
from gulfsec.adapters.storage.accounts import (
    HUB_TABLES,
    NODE_TABLES,
    SUBJECT_MAX,
    AccountRepository,
    AccountRow,
    AccountTables,
    FailureRow,
)
from gulfsec.errors import AccountError, AuthError, SessionExpired, SignInThrottled
from gulfsec.services.shared.unit_of_work import SqlUnitOfWork

VIEWER: Final = "viewer"
OFFICER: Final = "officer"
SECRETARIAT: Final = "secretariat"
NODE_ROLES: Final = (VIEWER, OFFICER)
HUB_ROLES: Final = (SECRETARIAT,)

MIN_PASSWORD: Final = 10
MAX_PASSWORD: Final = 1024
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")

BAD_CREDENTIALS: Final = "the name or the password is wrong"
"""The one answer to a failed sign-in, whichever of the two was wrong."""


# -- passwords ---------------------------------------------------------------------------------

SCRYPT_LOG_N: Final = 15
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    n = 1 << log_n
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + (1 << 20), dklen=_HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``, with its parameters, as one string."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt$ln={SCRYPT_LOG_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (False for a hash this code cannot read)."""
    try:
        scheme, params, salt_text, hash_text = encoded.split("$")
        if scheme != "scrypt":
            return False
        values = dict(item.split("=", 1) for item in params.split(","))
        log_n, r, p = int(values["ln"]), int(values["r"]), int(values["p"])
        if not (1 <= log_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        salt, expected = _unb64(salt_text), _unb64(hash_text)
    except (ValueError, KeyError):
        return False
    return hmac.compare_digest(_scrypt(password, salt, log_n, r, p), expected)


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    """A hash to check wrong names against, so that they cost as much as wrong passwords."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def check_new_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    if password.strip().lower() == name:
        raise AccountError("the password must not be the account's name")


def normalise_name(name: str) -> str:
    """The account name as stored: trimmed and lower case; AccountError if it is not one."""
    clean = name.strip().lower()
    if not _NAME.fullmatch(clean):
        raise AccountError(
            f"{name!r} is not an account name: use 1 to 64 letters, digits and . _ @ -, "
            "starting with a letter or digit")
    return clean


# -- accounts and sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    """When sessions expire: after ``idle`` without a request, or ``absolute`` after sign-in."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(seconds=30)
    """How often a session's last use is written back (not on every request)."""


ACCOUNT_SCOPE: Final = "account"
ADDRESS_SCOPE: Final = "address"


@dataclass(frozen=True)
class ThrottlePolicy:
    """When failed sign-ins make the pages refuse further ones for a while.

    After ``account_failures`` failed sign-ins to one account name (whether or not such an
    account exists), or ``address_failures`` from one client address over all accounts, each
    counted less than ``window`` after the one before, every sign-in there is refused for
    ``first_delay``; each failure counted after a wait doubles the next wait, up to
    ``max_delay``. Sign-ins refused during a wait are not counted, so hammering a locked
    account does not keep its delegate out longer than ``max_delay``. ``window`` must be longer
    than ``max_delay``, or a count would be forgotten before its wait ends.
    """

    account_failures: int = 5
    address_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.account_failures < 1 or self.address_failures < 1:
            raise ValueError("a throttle needs at least one failure before it waits")
        if not timedelta(0) < self.first_delay <= self.max_delay < self.window:
            raise ValueError("a throttle needs 0 < first_delay <= max_delay < window")

    def delay(self, beyond: int) -> timedelta:
        """The wait after the failure that is ``beyond`` past the threshold (0: the first)."""
        if beyond >= 32:
            return self.max_delay
        return min(self.first_delay * (1 << beyond), self.max_delay)

    def recent(self, row: FailureRow, now: datetime) -> int:
        """How many of the row's failures still count at ``now`` (0 once the window passed)."""
        if row.failures <= 0 or _micros(now) - row.last_failure_at > _us(self.window):
            return 0
        return row.failures

    def wait(self, row: FailureRow, threshold: int, now: datetime) -> timedelta:
        """How long sign-ins for the row's subject are still refused at ``now`` (0: not)."""
        counted = self.recent(row, now)
        if counted < threshold:
            return timedelta(0)
        until = row.last_failure_at + _us(self.delay(counted - threshold))
        return max(timedelta(0), timedelta(microseconds=until - _micros(now)))


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def client_subject(client: str) -> str:
    """A client address as the failure counts key it (bounded; ``unknown`` when empty)."""
    return client.strip()[:SUBJECT_MAX] or "unknown"


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class WebSession:
    """A signed-in session: who, the CSRF token its forms carry, and when it runs out."""

    account: Account
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    """What signing in gives: the token to put in the cookie (shown once) and the session."""

    token: str
    session: WebSession


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _from_micros(value: int) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(value / 1_000_000, UTC)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _to_account(row: AccountRow) -> Account:
    return Account(row.id, row.name, row.role, _from_micros(row.created_at), row.disabled)


class Accounts:
    """Accounts and sessions over one database's account tables."""

    def __init__(self, engine: Engine, tables: AccountTables, roles: Sequence[str],
                 clock: Clock | None = None, policy: SessionPolicy | None = None,
                 throttle: ThrottlePolicy | None = None) -> None:
        if not roles:
            raise ValueError("no roles: nobody could ever sign in")
        self.engine = engine
        self.tables = tables
        self.roles = tuple(roles)
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or SessionPolicy()
        self.throttle = throttle or ThrottlePolicy()

    def _uow(self) -> SqlUnitOfWork[AccountRepository]:
        tables = self.tables

        def repo(conn: Connection) -> AccountRepository:
            return AccountRepository(conn, tables)

        return SqlUnitOfWork(self.engine, repo)

    # -- managing accounts -----------------------------------------------------------------

    def create(self, name: str, password: str, role: str) -> Account:
        """A new account; AccountError for a taken or bad name, an unknown role, a weak
        password."""
        clean = normalise_name(name)
        if role not in self.roles:
            raise AccountError(f"unknown role {role!r}: choose one of {', '.join(self.roles)}")
        check_new_password(clean, password)
        hashed = hash_password(password)
        now = _micros(self.clock.now())
        with self._uow() as uow:
            if uow.repo.account_by_name(clean) is not None:
                raise AccountError(f"there is already an account named {clean!r}")
            account_id = uow.repo.add_account(clean, role, hashed, now)
            uow.commit()
        return Account(account_id, clean, role, _from_micros(now))

    def accounts(self) -> list[Account]:
        with self._uow() as uow:
            return [_to_account(row) for row in uow.repo.all_accounts()]

    def get(self, name: str) -> Account | None:
        with self._uow() as uow:
            row = uow.repo.account_by_name(name.strip().lower())
        return None if row is None else _to_account(row)

    def set_password(self, name: str, password: str) -> None:
        """Change a password; every session of the account ends."""
        clean = normalise_name(name)
        check_new_password(clean, password)
        hashed = hash_password(password)
        with self._uow() as uow:
            row = uow.repo.account_by_name(clean)
            if row is None:
                raise AccountError(f"no account named {clean!r}")
            uow.repo.set_password(row.id, hashed, _micros(self.clock.now()))
            uow.repo.delete_sessions_of(row.id)
            uow.commit()

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (or enable again) an account; disabling ends its sessions."""
        clean = normalise_name(name)
        with self._uow() as uow:
            row = uow.repo.account_by_name(clean)
            if row is None:
                raise AccountError(f"no account named {clean!r}")
            uow.repo.set_disabled(row.id, disabled)
            if disabled:
                uow.repo.delete_sessions_of(row.id)
            uow.commit()

    # -- signing in and out ----------------------------------------------------------------

    def sign_in(self, name: str, password: str, *, client: str | None = None) -> NewSession:
        """Check the credentials and open a session.

        ``client`` is the address the attempt came from (the pages pass the connection's); with
        None only the account name is throttled. Raises :class:`SignInThrottled` while the name
        or the address must wait (whatever the password), else AuthError(BAD_CREDENTIALS) for
        a wrong name or password.
        """
        clean = name.strip().lower()
        subjects = [(ACCOUNT_SCOPE, clean[:SUBJECT_MAX], self.throttle.account_failures)]
        if client is not None:
            subjects.append((ADDRESS_SCOPE, client_subject(client),
                             self.throttle.address_failures))
        self._count_attempt(subjects)
        with self._uow() as uow:
            row = uow.repo.account_by_name(clean) if _NAME.fullmatch(clean) else None
        if row is None:
            verify_password(password, _dummy_hash())
            raise AuthError(BAD_CREDENTIALS)
        if not verify_password(password[:MAX_PASSWORD], row.password_hash) or row.disabled:
            raise AuthError(BAD_CREDENTIALS)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self._uow() as uow:
            # The attempt succeeded: forget the account's failures, and take back the one
            # counted in advance for the address (its earlier failures stay).
            for scope, subject, _ in subjects:
                if scope == ACCOUNT_SCOPE:
                    uow.repo.clear_failures(scope, subject)
                else:
                    uow.repo.forget_one_failure(scope, subject)
            uow.repo.delete_expired_sessions(_micros(now - self.policy.absolute),
                                             _micros(now - self.policy.idle))
            uow.repo.add_session(_token_hash(token), row.id, csrf, _micros(now))
            uow.commit()
        return NewSession(token, WebSession(_to_account(row), csrf, now,
                                            self._expiry(now, now)))

    def _count_attempt(self, subjects: Sequence[tuple[str, str, int]]) -> None:
        """Refuse the attempt if any subject must wait; else count it as a failure of each
        (taken back by the caller if the password turns out right), in one transaction."""
        now = self.clock.now()
        with self._uow() as uow:
            uow.repo.delete_failures_before(_micros(now - self.throttle.window))
            uow.commit()
        with self._uow() as uow:
            rows = [(scope, subject, threshold, uow.repo.lock_failures(scope, subject))
                    for scope, subject, threshold in subjects]
            wait = max(self.throttle.wait(row, threshold, now)
                       for _, _, threshold, row in rows)
            if wait > timedelta(0):
                raise SignInThrottled(math.ceil(wait.total_seconds()))
            for scope, subject, _, row in rows:
                uow.repo.set_failures(scope, subject, self.throttle.recent(row, now) + 1,
                                      _micros(now))
            uow.commit()

    def _expiry(self, created: datetime, last_seen: datetime) -> datetime:
        return min(created + self.policy.absolute, last_seen + self.policy.idle)

    def resume(self, token: str) -> WebSession:
        """The session behind a cookie's token.

        Raises :class:`SessionExpired` when it ran out (and ends it), and AuthError when there
        is no such session or its account was disabled.
        """
        if not token or len(token) > 128:
            raise AuthError("not signed in")
        key = _token_hash(token)
        now = self.clock.now()
        with self._uow() as uow:
            row = uow.repo.session(key)
            if row is None:
                raise AuthError("not signed in")
            created, seen = _from_micros(row.created_at), _from_micros(row.last_seen_at)
            if now >= self._expiry(created, seen):
                uow.repo.delete_session(key)
                uow.commit()
                raise SessionExpired("the session expired: sign in again")
            account = uow.repo.account_by_id(row.account_id)
            if account is None or account.disabled:
                uow.repo.delete_session(key)
                uow.commit()
                raise AuthError("not signed in")
            if now - seen >= self.policy.touch_every:
                uow.repo.touch_session(key, _micros(now))
                seen = now
                uow.commit()
        return WebSession(_to_account(account), row.csrf_token, created,
                          self._expiry(created, seen))

    def sign_out(self, token: str) -> None:
        with self._uow() as uow:
            uow.repo.delete_session(_token_hash(token))
            uow.commit()


# -- factories ---------------------------------------------------------------------------------


def node_accounts(engine: Engine, clock: Clock | None = None,
                  policy: SessionPolicy | None = None,
                  throttle: ThrottlePolicy | None = None) -> Accounts:
    """The accounts of a node's delegates (viewers and officers), in the node's database."""
    return Accounts(engine, NODE_TABLES, NODE_ROLES, clock, policy, throttle)


def hub_accounts(engine: Engine, clock: Clock | None = None,
                 policy: SessionPolicy | None = None,
                 throttle: ThrottlePolicy | None = None) -> Accounts:
    """The accounts of the secretariat's staff, in the hub's database."""
    return Accounts(engine, HUB_TABLES, HUB_ROLES, clock, policy, throttle)


def create_account(engine: Engine, name: str, password: str, role: str) -> Account:
    """Create an account in a migrated database: ``viewer``/``officer`` in a node's,
    ``secretariat`` in the hub's. For the demo and for scripts."""
    if role in NODE_ROLES:
        return node_accounts(engine).create(name, password, role)
    if role in HUB_ROLES:
        return hub_accounts(engine).create(name, password, role)
    raise AccountError(f"unknown role {role!r}: choose one of "
                       f"{', '.join((*NODE_ROLES, *HUB_ROLES))}")
