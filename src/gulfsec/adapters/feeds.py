"""Where news articles come from: JSON Lines files, RSS and Atom feeds (files or URLs), folders.

Every reader gives :class:`FeedArticle` values; nothing here codes or stores them.

- **JSON Lines**: one ``{"id", "date", "text"[, "title", "url", "source", "language"]}``
  object a line; a bad line stops the reading with a :class:`ConfigError` naming it.
- **RSS and Atom** are parsed by ``feedparser`` (a maintained parser of every RSS and Atom
  version, tolerant of broken feeds): an item's text is its content, or its summary, without
  HTML tags; its id its ``id``/``guid``, or its link; its date when it was published (or
  updated), in UTC; its source the feed's title, or where the feed was read. A URL is fetched
  with httpx (30 s timeout); feedparser is never handed a string it could open itself.
- A **folder**: every ``*.jsonl``, ``*.xml``, ``*.rss`` and ``*.atom`` file in it, by name.

Errors from the network and the parser come out as :class:`ConfigError` (a source that cannot
be read) or :class:`TransportError` (a URL that cannot be fetched).
"""

from __future__ import annotations

import calendar
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gulfsec.errors import ConfigError, TransportError

FEED_SUFFIXES = (".xml", ".rss", ".atom")
JSONL_SUFFIXES = (".jsonl",)
FETCH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FeedArticle:
    """An article as read: ``where`` names the file and line, or the feed and item."""

    where: str
    source: str
    ident: str
    day: date | None
    text: str
    title: str | None = None
    url: str | None = None
    language: str | None = None


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def files_in(folder: Path) -> list[Path]:
    """The files of ``folder`` that are news: JSON Lines and feeds, sorted by name."""
    suffixes = (*JSONL_SUFFIXES, *FEED_SUFFIXES)
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


def read_source(source: str) -> list[FeedArticle]:
    """The articles of a URL (a feed), a folder, a JSON Lines file or a feed file."""
    if is_url(source):
        return read_feed(fetch(source), source)
    path = Path(source)
    if path.is_dir():
        return [article for file in files_in(path) for article in read_source(str(file))]
    data = _read(path)
    if path.suffix.lower() in JSONL_SUFFIXES:
        return list(read_jsonl(data, str(path)))
    return read_feed(data, str(path))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read news source {path}: {exc.strerror or exc}") from None


def fetch(url: str) -> bytes:
    import httpx

    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise TransportError(f"cannot fetch feed {url}: {exc}") from None
    return response.content


# -- JSON Lines ----------------------------------------------------------------------------------


def _day(value: Any, where: str) -> date:
    if isinstance(value, str):
        for parse in (date.fromisoformat, lambda v: datetime.fromisoformat(v).date()):
            try:
                return parse(value)
            except ValueError:
                pass
    raise ConfigError(f"{where}: \"date\" {value!r} is not a date like 2016-01-03")


def _optional_text(row: dict[str, Any], key: str, where: str) -> str | None:
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: \"{key}\" must be a string")
    return value


def read_jsonl(data: bytes, name: str) -> Iterator[FeedArticle]:
    """The rows of a JSON Lines file (blank lines skipped); its name is the default source."""
    from gulfsec.domain.encoding import JSONError, parse_json

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{name} line {at}: not UTF-8") from None
    default_source = Path(name).name
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{name} line {number}"
        try:
            row = parse_json(line)
        except JSONError as exc:
            raise ConfigError(f"{where}: not JSON ({exc})") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: not a JSON object with \"id\", \"date\" and \"text\"")
        ident = row.get("id")
        if isinstance(ident, bool) or not isinstance(ident, str | int):
            raise ConfigError(f"{where}: no \"id\" (a string or an integer)")
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            raise ConfigError(f"{where}: no \"text\" (a string)")
        if row.get("date") is None:
            raise ConfigError(f"{where}: no \"date\"")
        yield FeedArticle(
            where=where,
            source=_optional_text(row, "source", where) or default_source,
            ident=str(ident),
            day=_day(row["date"], where),
            text=row["text"],
            title=_optional_text(row, "title", where),
            url=_optional_text(row, "url", where),
            language=_optional_text(row, "language", where),
        )


# -- RSS and Atom --------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"</?(?:p|div|br|li|h[1-6])\b[^>]*>", re.IGNORECASE)


def plain_text(markup: str) -> str:
    """Text without HTML tags or entities; paragraphs stay apart (a blank line)."""
    text = _TAG.sub("", _BLOCK.sub("\n\n", markup))
    paragraphs = (" ".join(p.split()) for p in html.unescape(text).split("\n\n"))
    return "\n\n".join(p for p in paragraphs if p)


def _item_day(item: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = item.get(key)
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).date()
    return None


def read_feed(data: bytes, location: str) -> list[FeedArticle]:
    """The items of an RSS or Atom document; ``location`` names it (and is the fallback
    source). A document feedparser finds no feed in (nor any item) is refused."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(data), response_headers={
        "content-location": location if is_url(location) else ""})
    feed = parsed.get("feed", {})
    items = parsed.get("entries", [])
    if not items and (parsed.get("bozo") or not feed):
        problem = parsed.get("bozo_exception")
        raise ConfigError(f"{location}: not an RSS or Atom feed"
                          + (f" ({str(problem).splitlines()[0]})" if problem else ""))
    source = feed.get("title") or location
    language = feed.get("language")
    found: list[FeedArticle] = []
    for number, item in enumerate(items, 1):
        content = item.get("content") or []
        markup = content[0].get("value", "") if content else item.get("summary", "")
        title = plain_text(item.get("title", "")) or None
        text = plain_text(markup) or (title or "")
        link = item.get("link")
        ident = item.get("id") or link or title
        if not text or not ident:
            continue  # an item with no text or nothing to know it by again
        found.append(FeedArticle(
            where=f"{location} item {number}", source=str(source), ident=str(ident),
            day=_item_day(item), text=text, title=title, url=link,
            language=(item.get("language") or language or None)))
    return found
