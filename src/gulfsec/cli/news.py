"""``gulfsec news``: open news, coded into events, and the tension between states.

Both commands read JSON Lines, one article or sentence per line — ``{"id": …, "text": …}`` with
an optional ``"date"`` (``2016-01-03``, or a UTC time) and ``"language"`` (``en``, ``ar``,
``fa``) — from a file or, given ``-``, from standard input, and need no database. A row that
is not a JSON object with an ``id`` and a ``text`` stops the command before it prints anything,
with one line on standard error naming the line number and exit status 1. A large file is coded
on every core, and printed in the order it was read.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

import click

from gulfsec.cli.common import GulfsecGroup, emit, read_file
from gulfsec.errors import ConfigError

PARALLEL_ROWS = 10_000
"""From how many rows coding is spread over every core: the coder reads thousands of rows a
second on one, and starting a worker costs a fraction of a second."""
CHUNK_ROWS = 500
"""Rows handed to a worker at a time."""
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class Article:
    """One input row, checked: where it was (``line``), its id, text, date and language."""

    line: int
    id: Any
    text: str
    date: date | None
    language: str | None


# -- reading the rows ----------------------------------------------------------------------------


def _read_input(file: str) -> tuple[str, bytes]:
    if file == "-":
        with click.open_file("-", "rb") as stdin:
            return "standard input", stdin.read()
    return file, read_file(Path(file), "news file")


def _date(value: Any, where: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            pass
    raise ConfigError(f"{where}: \"date\" {value!r} is not a date like 2016-01-03 or "
                      "2016-01-03T08:00:00Z")


def read_articles(file: str, *, dated: bool) -> list[Article]:
    """Every row of ``file`` (``-``: standard input), checked; blank lines are skipped.

    Raises :class:`ConfigError` naming the first bad line: not UTF-8, not a JSON object, no
    ``id`` (a string or an integer) or ``text`` (a string), a ``date`` that is not one (or none
    when ``dated``), a ``language`` that is not a string.
    """
    from gulfsec.domain.encoding import JSONError, parse_json

    name, data = _read_input(file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{name} line {at}: not UTF-8") from None
    articles: list[Article] = []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 is JSON
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            row = parse_json(line)
        except JSONError as exc:
            raise ConfigError(f"{where}: not JSON ({exc})") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: not a JSON object with \"id\" and \"text\"")
        ident = row.get("id")
        if isinstance(ident, bool) or not isinstance(ident, str | int):
            raise ConfigError(f"{where}: no \"id\" (a string or an integer)")
        if not isinstance(row.get("text"), str):
            raise ConfigError(f"{where}: no \"text\" (a string)")
        language = row.get("language")
        if language is not None and not isinstance(language, str):
            raise ConfigError(f"{where}: \"language\" must be a string such as \"en\"")
        when = row.get("date")
        if when is None and dated:
            raise ConfigError(f"{where}: no \"date\" (the tension index needs every row's)")
        articles.append(Article(number, ident, row["text"],
                                None if when is None else _date(when, where), language))
    return articles


# -- coding --------------------------------------------------------------------------------------


class Found(NamedTuple):
    """An event as the commands print and weigh it (what a worker sends back)."""

    source: str
    target: str
    type: str
    mode: str | None
    sentence: int

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


def _code_one(item: tuple[str, str | None]) -> list[Found]:
    from gulfsec.domain.news.events import code_text

    text, language = item
    return [Found(e.source, e.target, e.type, e.mode, e.sentence)
            for e in code_text(text, language=language)]


def coded(articles: Sequence[Article]) -> Iterator[list[Found]]:
    """The events of each article, in order; over every core when there are many."""
    items = [(a.text, a.language) for a in articles]
    workers = min(len(os.sched_getaffinity(0)), len(items) // CHUNK_ROWS)
    if len(items) <= PARALLEL_ROWS or workers < 2:
        yield from map(_code_one, items)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(_code_one, items, chunksize=CHUNK_ROWS)


# -- the commands --------------------------------------------------------------------------------


@click.group("news", cls=GulfsecGroup)
def news() -> None:
    """Open news: who did what to whom, and the tension between states. FILE holds JSON Lines
    rows {"id": …, "text": …} (and "date", "language"); "-" reads standard input. A bad row
    stops the command with its line number before anything is printed. No database needed."""


@news.command("code")
@click.argument("file")
def news_code(file: str) -> None:
    """Code the events in each row of FILE: print one JSON line per row, in order,
    {"id": …, "events": [{"source", "target", "type", "mode", "sentence"}, …]}, with actors
    as codes (IRN, SAU, USA, …), PLOVER types (ASSAULT, CONSULT, …), and "events": [] when
    there is none (as for text in a language not coded yet)."""
    articles = read_articles(file, dated=False)
    for article, events in zip(articles, coded(articles), strict=True):
        click.echo(json.dumps({"id": article.id, "events": [e.to_json() for e in events]},
                              ensure_ascii=False))


@news.command("tension")
@click.argument("file")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
              help="Calendar day, ISO week (2016-W02) or calendar month.")
@click.option("--half-life", "half_life", default="30", show_default=True, metavar="DAYS",
              help="Days for a pair's index to halve when nothing more happens.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json",
              show_default=True, help="A JSON list of rows, or a table to read.")
def news_tension(file: str, period: str, half_life: str, fmt: str) -> None:
    """The tension index of every pair of actors with an event between them in FILE (every
    row needs a "date"), for every period from the pair's first event to the last date in
    FILE: {"pair": "IRN-SAU", "period": "2016-01", "index": 3.2}, the pair's codes sorted,
    higher for more tension. Conflict counts by its weight on a Goldstein-like scale, decays
    by half every --half-life days, and cooperation brings it down (see
    gulfsec.domain.news.tension)."""
    from gulfsec.domain.news.tension import Period, tension

    days = _half_life(half_life)
    articles = read_articles(file, dated=True)
    events: list[tuple[date, Found]] = []
    until: date | None = None
    for article, found in zip(articles, coded(articles), strict=True):
        assert article.date is not None  # read_articles(dated=True) refuses a row without
        events.extend((article.date, event) for event in found)
        until = article.date if until is None else max(until, article.date)
    rows = tension(events, cast(Period, period), days, until=until)
    if fmt == "json":
        emit([row.to_json() for row in rows])
        return
    if not rows:
        click.echo("no events between two actors")
    for row in rows:
        click.echo(f"{row.pair:10} {row.period:10} {row.index:8.2f}")


def _half_life(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = float("nan")
    if not (days > 0 and days < float("inf")):
        raise ConfigError(f"--half-life {value!r}: give a positive number of days")
    return days
