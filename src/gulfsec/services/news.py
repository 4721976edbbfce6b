"""The secretariat's early-warning room: news ingested and coded, alerts, news against the log.

- :func:`ingest` stores articles (:mod:`gulfsec.adapters.feeds` reads them), de-duplicated
  (same source and id, or same normalised text), split into sentences and coded
  (:mod:`gulfsec.domain.news.events`), and says how many were new, duplicate, coded, and how
  many sentences are in a language not coded yet;
- :func:`alerts` computes the tension index (:mod:`gulfsec.domain.news.tension`) of the stored
  events with the regime's ``[early_warning]`` settings and lists its rises, those of pairs
  with a regime participant first;
- :func:`unnotified` checks every stored report of a participant's military activity against
  the ``activity-notification@1`` entries a record source holds (a node's verified copy, or
  the hub's log), with :func:`gulfsec.domain.news.crosscheck.search`; :func:`explain` records
  why a finding is not one after all (a notification was found, the report was wrong).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from gulfsec.adapters.feeds import FeedArticle
from gulfsec.adapters.storage.news import NewArticle, NewEvent, NewsStore, StoredEvent
from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.news.crosscheck import (
    Notice,
    Search,
    circle_around,
    is_activity,
    places_in,
    search,
)
from gulfsec.domain.news.events import Event, code_text, codes_language
from gulfsec.domain.news.sentences import split_sentences
from gulfsec.domain.news.tension import Period, Rise, Row, pair_of, rises, tension
from gulfsec.domain.regime import Regime
from gulfsec.errors import ConfigError, NotFound

FINDING_PREFIX = "news-"


# -- ingest ------------------------------------------------------------------------------------


@dataclass
class IngestReport:
    read: int = 0
    new: int = 0
    duplicate: int = 0
    coded: int = 0
    """New articles with at least one event."""
    events: int = 0
    sentences: int = 0
    not_coded: int = 0
    """Sentences of new articles in a language not coded yet (Arabic, Persian)."""
    languages: dict[str, int] = field(default_factory=dict)
    """Not-coded sentences by language (as given, or "ar/fa" by script)."""

    def to_json(self) -> dict[str, Any]:
        return {"read": self.read, "new": self.new, "duplicate": self.duplicate,
                "coded": self.coded, "events": self.events, "sentences": self.sentences,
                "not_coded": self.not_coded, "not_coded_languages": dict(self.languages)}

    def line(self) -> str:
        text = (f"{self.read} read: {self.new} new, {self.duplicate} duplicate; "
                f"{self.coded} with events ({self.events} events); {self.sentences} sentences, "
                f"{self.not_coded} in a language not coded yet")
        if self.languages:
            text += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.languages.items())) + ")"
        return text


PARALLEL_ARTICLES = 2_000
"""From this many articles in one batch, coding runs on every core (a large archive)."""
BATCH = 8_000
"""Articles read, coded and stored together."""


def _code_article(item: tuple[str, str | None]) -> list[Event]:
    text, language = item
    return code_text(text, language=language)


def _coded(batch: list[FeedArticle], workers: int, parallel_from: int) -> list[list[Event]]:
    """The events of each article of ``batch``, coded on ``workers`` processes when the batch
    is large (the coder is pure: the order and the events are the same either way)."""
    items = [(a.text, a.language) for a in batch]
    if len(items) < parallel_from or workers < 2:
        return [_code_article(item) for item in items]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.map(_code_article, items, chunksize=64)


def ingest(store: NewsStore, articles: Iterable[FeedArticle], now: datetime, *,
           workers: int | None = None, parallel_from: int = PARALLEL_ARTICLES) -> IngestReport:
    """Store, split and code every article not stored yet; a large batch is coded on every
    core (``workers``: how many processes; all the cores by default)."""
    report = IngestReport()
    stamp = int(now.timestamp())
    cores = workers if workers is not None else (os.cpu_count() or 1)
    for batch in _batches(articles, BATCH):
        for article, found in zip(batch, _coded(batch, cores, parallel_from), strict=True):
            report.read += 1
            sentences = split_sentences(article.text)
            whole = codes_language(article.text, article.language)
            split = [(s, whole and codes_language(s)) for s in sentences]
            events = [NewEvent(e.sentence, e.source, e.target, e.type, e.mode) for e in found]
            outcome = store.add(NewArticle(article.source, article.ident, article.day,
                                           article.title, article.url, article.language,
                                           article.text), split, events, stamp)
            if outcome == "duplicate":
                report.duplicate += 1
                continue
            report.new += 1
            report.coded += bool(events)
            report.events += len(events)
            report.sentences += len(split)
            for _, ok in split:
                if not ok:
                    report.not_coded += 1
                    language = article.language or "ar/fa"
                    report.languages[language] = report.languages.get(language, 0) + 1
    return report


def _batches(articles: Iterable[FeedArticle], size: int) -> Iterator[list[FeedArticle]]:
    batch: list[FeedArticle] = []
    for article in articles:
        batch.append(article)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    rise: Rise
    participant: bool
    """Whether one of the pair is a regime participant."""

    def to_json(self) -> dict[str, Any]:
        return {**self.rise.to_json(), "participant": self.participant}


def normal_pair(value: str) -> str:
    """``"SAU-IRN"`` → ``"IRN-SAU"``; ConfigError unless two codes joined by a hyphen."""
    parts = value.strip().upper().split("-")
    if len(parts) != 2 or not all(parts):
        raise ConfigError(f"--pair {value!r}: give two actor codes, such as IRN-SAU")
    return pair_of(parts[0], parts[1])


def tension_rows(stored: Iterable[StoredEvent], store: NewsStore, regime: Regime) -> list[Row]:
    """The tension index of the ``stored`` events (dated), by the regime's
    ``[early_warning]`` period and half-life, up to the store's last day."""
    settings = regime.early_warning
    dated: list[tuple[date, StoredEvent]] = [(e.day, e) for e in stored if e.day is not None]
    return tension(dated, cast(Period, settings.period), settings.half_life_days,
                   until=store.last_day())


def alerts(store: NewsStore, regime: Regime, *, pair: str | None = None) -> list[Alert]:
    """The rises of the tension index of the stored events, by the regime's
    ``[early_warning]``: those of a pair with a participant first, then by pair and period."""
    settings = regime.early_warning
    rows = tension_rows(store.events(), store, regime)
    wanted = None if pair is None else normal_pair(pair)
    found = [Alert(rise, any(regime.is_participant(code) for code in rise.pair.split("-")))
             for rise in rises(rows, settings.threshold, settings.jump)
             if wanted is None or rise.pair == wanted]
    return sorted(found, key=lambda a: (not a.participant, a.rise.pair, a.rise.period))


# -- news against notifications ----------------------------------------------------------------


@dataclass(frozen=True)
class Unnotified:
    """A possible un-notified activity: the report (``event``), the search, an explanation."""

    id: str
    event: StoredEvent
    search: Search
    explained: str | None

    def to_json(self) -> dict[str, Any]:
        e = self.event
        return {
            "id": self.id,
            "article": {"source": e.article_source, "id": e.article_ident, "title": e.title,
                        "url": e.url, "date": None if e.day is None else e.day.isoformat()},
            "sentence": e.sentence,
            "event": {"source": e.source, "target": e.target, "type": e.type, "mode": e.mode},
            "search": self.search.to_json(),
            "explained": self.explained,
        }


def _number(value: Any) -> float:
    return float(value)


def notices(records: Iterable[LogRecord]) -> Iterator[Notice]:
    """The activity notifications among ``records``, as the search reads them."""
    for record in records:
        entry = record.entry.entry
        if entry.form != NOTIFICATION:
            continue
        body: Mapping[str, Any] = entry.body
        area = body["area"]
        if area["kind"] == "circle":
            lat, lon = _number(area["centre"]["lat"]), _number(area["centre"]["lon"])
            radius = _number(area["radius_km"])
        else:
            lat, lon, radius = circle_around(
                [(_number(p["lat"]), _number(p["lon"])) for p in area["points"]])
        yield Notice(record.index, entry.sender, str(body["name"]),
                     date.fromisoformat(str(body["start"])), date.fromisoformat(str(body["end"])),
                     lat, lon, radius)


def unnotified(store: NewsStore, regime: Regime, records: Iterable[LogRecord]) -> list[Unnotified]:
    """Every stored report of a participant's military activity that no notification among
    ``records`` covers, oldest first, with the search made and any explanation."""
    held = list(notices(records))
    explained = store.explanations()
    found: list[Unnotified] = []
    for event in store.events():
        if event.day is None or not regime.is_participant(event.source):
            continue
        if not is_activity(event.type, event.mode):
            continue
        named = places_in(event.sentence)
        made = search(event.source, event.day, named[0] if named else None, held)
        if made.covered:
            continue
        ident = f"{FINDING_PREFIX}{event.id}"
        reason = explained.get(ident)
        found.append(Unnotified(ident, event, made, None if reason is None else reason[0]))
    return found


def explain(store: NewsStore, finding_id: str, reason: str, now: datetime) -> None:
    """Record ``reason`` for a finding: it is then shown as explained."""
    if not reason.strip():
        raise ConfigError("--reason: say why the finding is explained")
    number = finding_id.removeprefix(FINDING_PREFIX)
    if not number.isdigit() or all(str(e.id) != number for e in store.events()):
        raise NotFound(f"no news finding {finding_id!r}")
    store.explain(f"{FINDING_PREFIX}{number}", reason.strip(), int(now.timestamp()))
