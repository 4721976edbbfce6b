"""Shared fixtures: the regime, a frozen clock, the personas' keys, and a hub on each database.

Personas: IRN sends, RUS is addressed, QAT is the outsider who must see nothing of a bilateral
entry; SEC is the secretariat. Integration tests take ``database_url`` and run once on SQLite
and once on PostgreSQL (``GULFSEC_TEST_PG_URL``, default the local server's ``test`` database,
beside which each test gets a fresh database of its own); ``databases`` gives a test more of
the same kind.

The helpers the tests share live in ``tests/support`` (see its ``__init__``); this file puts
``tests/`` on ``sys.path`` first, so that every test, in any directory, imports them as
``support.<module>``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.domain.entry import ALL, Audience, SignedEntry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.services.hub import Hub
from gulfsec.services.participant import compose, registration_request

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # before the first ``support`` import, here or in any test
    sys.path.insert(0, str(TESTS))

from support.databases import Databases, new_database, new_pg_database  # noqa: E402

START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
PERSONAS = ("IRN", "RUS", "QAT", "SAU", "USA")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files holding a case marked ``slow`` first, the longest first (by the minutes their
    ``slow(minutes=...)`` marks say, where they say), then the others; each file's cases stay
    in their order.

    ``make test`` hands whole files to one worker per core in this order: the long files start
    first and the many short ones fill in after them, so that no worker is left running a long
    file alone at the end of the run.
    """
    minutes: dict[Path, float] = {}
    for item in items:
        mark = item.get_closest_marker("slow")
        if mark is not None:
            minutes[item.path] = minutes.get(item.path, 0.0) + mark.kwargs.get("minutes", 0.0)
    items.sort(key=lambda item: (item.path not in minutes, -minutes.get(item.path, 0.0)))


@pytest.fixture
def regime() -> Regime:
    return default_regime()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def party_keys() -> dict[str, SigningKey]:
    """One signing key per persona, plus the secretariat's."""
    return {code: SigningKey.generate(code) for code in (*PERSONAS, "SEC")}


@pytest.fixture(scope="session")
def log_key() -> SigningKey:
    return SigningKey.generate(default_regime().log_origin)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield new_database("sqlite", tmp_path, "hub").url
        return
    database = new_pg_database()
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture
def databases(database_url: str, tmp_path: Path) -> Iterator[Databases]:
    """More fresh databases of the same kind as ``database_url`` (``databases.new("node_irn")``
    gives a URL), all dropped at the end."""
    more = Databases.like(database_url, tmp_path)
    try:
        yield more
    finally:
        more.drop()


@dataclass
class Writer:
    """A persona writing entries: keeps its own sequence number."""

    party: str
    key: SigningKey
    clock: ManualClock
    seq: int = 0
    sent: list[SignedEntry] = field(default_factory=list)

    def entry(self, form: str = "message@1", audience: Audience | Sequence[str] = ALL,
              body: Mapping[str, Any] | None = None, refs: Sequence[str] = (),
              seq: int | None = None) -> SignedEntry:
        if body is None:
            body = {"subject": f"from {self.party}", "text": f"message {self.seq}"}
        aud: Audience = ALL if audience == ALL else tuple(sorted(audience))
        signed = compose(self.key, self.party, form=form, audience=aud, body=body,
                         seq=self.seq if seq is None else seq, now=self.clock.now(), refs=refs)
        if seq is None:
            self.seq += 1
        self.sent.append(signed)
        return signed


@pytest.fixture
def make_hub(regime: Regime, log_key: SigningKey, clock: ManualClock) -> Iterator[Any]:
    """A factory for started hubs over a database URL; every hub is stopped at the end."""
    started: list[Hub] = []

    def factory(url: str, *, start: bool = True, **kw: Any) -> Hub:
        engine = create_db_engine(url)
        migrate(engine, "hub")
        kw.setdefault("max_delay_ms", 5)
        hub = Hub(regime, engine, log_key, clock, **kw)
        if start:
            hub.start()
            started.append(hub)
        return hub

    yield factory
    for hub in started:
        hub.stop()
        hub.engine.dispose()


@pytest.fixture
def hub(make_hub: Any, database_url: str, party_keys: dict[str, SigningKey],
        clock: ManualClock) -> Hub:
    """A started hub whose log holds the secretariat's key and the personas' registrations."""
    hub: Hub = make_hub(database_url)
    hub.bootstrap(party_keys["SEC"])
    for party in PERSONAS:
        request = registration_request(party_keys[party], party, clock.now())
        hub.submit(request.countersigned(party_keys["SEC"]).raw)
    return hub


@pytest.fixture
def writers(party_keys: dict[str, SigningKey], clock: ManualClock) -> dict[str, Writer]:
    """Writers for the personas, whose entry 0 (the key registration) is already in the hub."""
    return {p: Writer(p, party_keys[p], clock, seq=1) for p in PERSONAS}
