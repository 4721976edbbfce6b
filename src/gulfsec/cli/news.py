"""``gulfsec news``: open news, coded into events, and the tension between states.

Both commands read JSON Lines, one article or sentence per line — ``{"id": …, "text": …}`` with
an optional ``"date"`` (``2016-01-03``, or a UTC time) and ``"language"`` (``en``, ``ar``,
``fa``) — from a file or, given ``-``, from standard input, and need no database. A row that
is not a JSON object with an ``id`` and a ``text`` stops the command before it prints anything,
with one line on standard error naming the line number and exit status 1. A large file is coded
on every core, and printed in the order it was read.
"""

from __future__ import annotations

import contextlib
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
from gulfsec.i18n import _

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
            return _("standard input"), stdin.read()
    return file, read_file(Path(file), _("news file"))


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
    raise ConfigError(_("%(where)s: \"date\" %(value)s is not a date like 2016-01-03 or "
                        "2016-01-03T08:00:00Z") % {"where": where, "value": repr(value)})


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
        raise ConfigError(_("%(file)s line %(line)s: not UTF-8") % {"file": name, "line": at}
                          ) from None
    articles: list[Article] = []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 is JSON
        if not line.strip():
            continue
        where = _("%(file)s line %(line)s") % {"file": name, "line": number}
        here = {"where": where}
        try:
            row = parse_json(line)
        except JSONError as exc:
            raise ConfigError(_("%(where)s: not JSON (%(problem)s)") % {**here, "problem": exc}
                              ) from None
        if not isinstance(row, dict):
            raise ConfigError(_("%(where)s: not a JSON object with \"id\" and \"text\"") % here)
        ident = row.get("id")
        if isinstance(ident, bool) or not isinstance(ident, str | int):
            raise ConfigError(_("%(where)s: no \"id\" (a string or an integer)") % here)
        if not isinstance(row.get("text"), str):
            raise ConfigError(_("%(where)s: no \"text\" (a string)") % here)
        language = row.get("language")
        if language is not None and not isinstance(language, str):
            raise ConfigError(_("%(where)s: \"language\" must be a string such as \"en\"") % here)
        when = row.get("date")
        if when is None and dated:
            raise ConfigError(_("%(where)s: no \"date\" (the tension index needs every row's)")
                              % here)
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


@click.group("news", cls=GulfsecGroup, help=_(
    "Open news: who did what to whom, and the tension between states. FILE holds JSON Lines rows "
    "{\"id\": …, \"text\": …} (and \"date\", \"language\"); \"-\" reads standard input. A bad "
    "row stops the command with its line number before anything is printed. No database needed. "
    "ingest, alerts, unnotified and explain keep news in a database (see gulfsec news ingest)."))
def news() -> None:
    pass


@news.command("code", help=_(
    "Code the events in each row of FILE: print one JSON line per row, in order, {\"id\": …, "
    "\"events\": [{\"source\", \"target\", \"type\", \"mode\", \"sentence\"}, …]}, with actors "
    "as codes (IRN, SAU, USA, …), PLOVER types (ASSAULT, CONSULT, …), and \"events\": [] when "
    "there is none (as for text in a language not coded yet)."))
@click.argument("file")
def news_code(file: str) -> None:
    articles = read_articles(file, dated=False)
    for article, events in zip(articles, coded(articles), strict=True):
        click.echo(json.dumps({"id": article.id, "events": [e.to_json() for e in events]},
                              ensure_ascii=False))


@news.command("tension", help=_(
    "The tension index of every pair of actors with an event between them in FILE (every row "
    "needs a \"date\"), for every period from the pair's first event to the last date in FILE: "
    "{\"pair\": \"IRN-SAU\", \"period\": \"2016-01\", \"index\": 3.2}, the pair's codes sorted, "
    "higher for more tension. Conflict counts by its weight on a Goldstein-like scale, decays by "
    "half every --half-life days, and cooperation brings it down (see "
    "gulfsec.domain.news.tension)."))
@click.argument("file")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
              help=_("Calendar day, ISO week (2016-W02) or calendar month."))
@click.option("--half-life", "half_life", default="30", show_default=True, metavar="DAYS",
              help=_("Days for a pair's index to halve when nothing more happens."))
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json",
              show_default=True, help=_("A JSON list of rows, or a table to read."))
def news_tension(file: str, period: str, half_life: str, fmt: str) -> None:
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
        click.echo(_("no events between two actors"))
    for row in rows:
        click.echo(f"{row.pair:10} {row.period:10} {row.index:8.2f}")


def _half_life(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = float("nan")
    if not (days > 0 and days < float("inf")):
        raise ConfigError(_("--half-life %(value)s: give a positive number of days")
                          % {"value": repr(value)})
    return days


# -- the news store ------------------------------------------------------------------------------

DATABASE_ENV = "GULFSEC_NEWS_DATABASE_URL"


@contextlib.contextmanager
def _store(ctx: click.Context, database: str | None) -> Iterator[Any]:
    """The news store: ``--database`` (or GULFSEC_NEWS_DATABASE_URL), else ``news.db`` in the
    data directory; migrated, and closed after use."""
    from gulfsec.adapters.files import private_dir
    from gulfsec.adapters.storage.engine import create_db_engine
    from gulfsec.adapters.storage.migrate import migrate
    from gulfsec.adapters.storage.news import NewsStore
    from gulfsec.cli.common import settings_of

    if database is None:
        settings = settings_of(ctx)
        private_dir(settings.data_dir)
        database = f"sqlite:///{settings.data_dir.absolute() / 'news.db'}"
    engine = create_db_engine(database)
    try:
        migrate(engine, "news")
        yield NewsStore(engine)
    finally:
        engine.dispose()


def _regime(ctx: click.Context) -> Any:
    from gulfsec.bootstrap import regime_from
    from gulfsec.cli.common import settings_of

    return regime_from(settings_of(ctx))


_DATABASE = click.option(
    "--database", envvar=DATABASE_ENV, metavar="URL",
    help=_("The news database (sqlite:///… or postgresql+psycopg://…; also %(variable)s); "
           "default: news.db in the data directory.") % {"variable": DATABASE_ENV})


@news.command("ingest", help=_(
    "Store, split and code the articles of each SOURCE: a JSON Lines file of {\"id\", \"date\", "
    "\"text\"[, \"title\", \"url\", \"source\", \"language\"]} rows, an RSS or Atom file or URL, "
    "or a folder (its *.jsonl, *.xml, *.rss and *.atom files). An article already stored (same "
    "source and id, or the same text) is counted as a duplicate and left alone."))
@click.argument("sources", nargs=-1, required=True)
@_DATABASE
@click.option("--watch", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help=_("Read the SOURCES again every SECONDS until interrupted (for a folder "
                     "that news lands in)."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
def news_ingest(ctx: click.Context, sources: tuple[str, ...], database: str | None,
                watch: float | None, fmt: str) -> None:
    import time

    from gulfsec.adapters.feeds import read_source
    from gulfsec.services.news import ingest

    with _store(ctx, database) as store:
        while True:
            articles = [article for source in sources for article in read_source(source)]
            report = ingest(store, articles, datetime.now().astimezone())
            if fmt == "json":
                click.echo(json.dumps(report.to_json()))
            else:
                click.echo(report.line())
            if watch is None:
                return
            try:
                time.sleep(watch)
            except KeyboardInterrupt:
                return


@news.command("alerts", help=_(
    "Where the tension index of the stored events rises: by more than the regime's "
    "[early_warning] jump in a period, or across its threshold. Pairs with a regime participant "
    "come first."))
@_DATABASE
@click.option("--pair", help=_("Only this pair, such as IRN-SAU (in any order)."))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
def news_alerts(ctx: click.Context, database: str | None, pair: str | None, fmt: str) -> None:
    from gulfsec.services.news import alerts

    with _store(ctx, database) as store:
        found = alerts(store, _regime(ctx), pair=pair)
    if fmt == "json":
        emit([alert.to_json() for alert in found])
        return
    if not found:
        click.echo(_("no alerts"))
    for alert in found:
        r = alert.rise
        click.echo(f"{r.pair:10} {r.period:10} {r.index:8.2f} "
                   + _("(was %(previous)s)") % {"previous": f"{r.previous:.2f}"}
                   + f" {', '.join(r.reasons)}")


@news.command("unnotified", help=_(
    "Stored news of a participant's exercise, deployment or mobilisation that no "
    "activity-notification@1 covers (its days ± 1, its area within 150 km of a place the article "
    "names): possible un-notified activities. The notifications are read from the node's "
    "verified copy of the log, in the data directory (--data-dir)."))
@_DATABASE
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
def news_unnotified(ctx: click.Context, database: str | None, fmt: str) -> None:
    from gulfsec.bootstrap import open_node
    from gulfsec.cli.common import settings_of
    from gulfsec.domain.forms.activity_notification import NOTIFICATION
    from gulfsec.services.news import unnotified
    from gulfsec.services.node.records import NodeRecords

    with _store(ctx, database) as store:
        node = open_node(settings_of(ctx))
        try:
            found = unnotified(store, node.regime,
                               NodeRecords(node, forms={NOTIFICATION}).records_after(-1))
        finally:
            node.close()
    if fmt == "json":
        emit([finding.to_json() for finding in found])
        return
    if not found:
        click.echo(_("no possible un-notified activity"))
    for finding in found:
        data = finding.to_json()
        article, made = data["article"], data["search"]
        state = (_("explained: %(reason)s") % {"reason": finding.explained}
                 if finding.explained else _("open"))
        click.echo(f"{finding.id} [{state}] {article['date']} {finding.event.source} "
                   f"{finding.event.type}/{finding.event.mode or '-'}: "
                   f"{article['title'] or article['id']} {article['url'] or ''}".rstrip())
        click.echo(f"    {data['sentence']}")
        place = made["place"]["name"] if made["place"] else _("no place named")
        click.echo("    " + _("searched %(party)s's notifications %(from)s..%(to)s, %(place)s: "
                              "%(count)s looked at")
                   % {"party": made["party"], "from": made["from"], "to": made["to"],
                      "place": place, "count": len(made["notifications"])}
                   + "".join(f"; #{n['index']} {n['name']} ({n['why']})"
                             for n in made["notifications"]))


@news.command("explain", help=_(
    "Mark a possible un-notified activity as explained, with the reason."))
@click.argument("finding_id")
@click.option("--reason", required=True, help=_("Why: the notification found, or what was wrong."))
@_DATABASE
@click.pass_context
def news_explain(ctx: click.Context, finding_id: str, reason: str, database: str | None) -> None:
    from gulfsec.services.news import explain

    with _store(ctx, database) as store:
        explain(store, finding_id, reason, datetime.now().astimezone())
    click.echo(_("%(id)s explained") % {"id": finding_id})
