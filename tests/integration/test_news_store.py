"""The news store on SQLite and PostgreSQL: ingest (JSON Lines, RSS, de-duplication), alerts
from the stored events, and stored news checked against the activity notifications held."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from gulfsec.adapters.feeds import read_source
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.adapters.storage.news import NewsStore
from gulfsec.cli.main import cli
from gulfsec.domain.compliance import LogRecord
from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.activity_notification import NOTIFICATION
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.errors import NotFound
from gulfsec.services.news import alerts, explain, ingest, unnotified
from gulfsec.services.participant import compose

DATA = Path(__file__).resolve().parents[1] / "data" / "news"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
START = NOW


@pytest.fixture
def store(database_url: str) -> Iterator[NewsStore]:
    engine = create_db_engine(database_url)
    migrate(engine, "news")
    yield NewsStore(engine)
    engine.dispose()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")
    return path


ROWS: list[dict[str, object]] = [
    {"id": "a1", "date": "2019-06-20", "title": "Drone downed",
     "url": "https://example.org/a1",
     "text": "Iran shot down an American drone over the Strait of Hormuz. "
             "The United States condemned the attack."},
    {"id": "a2", "date": "2019-06-21", "text": "Saudi Arabia and Oman held talks in Muscat."},
    {"id": "a3", "date": "2019-06-21", "language": "fa",
     "text": "ایران و عربستان سعودی گفتگو کردند."},
]


# -- ingest ------------------------------------------------------------------------------------


def test_jsonl_articles_are_stored_split_and_coded(store: NewsStore, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "day.jsonl", ROWS)
    report = ingest(store, read_source(str(source)), NOW)
    assert (report.read, report.new, report.duplicate) == (3, 3, 0)
    assert report.coded == 2
    assert report.sentences == 4
    assert report.not_coded == 1 and report.languages == {"fa": 1}
    assert store.counts() == {"articles": 3, "sentences": 4, "not_coded": 1,
                              "events": report.events}
    stored = store.events()
    drone = next(e for e in stored if e.type == "ASSAULT")
    assert (drone.source, drone.target, drone.day) == ("IRN", "USA", date(2019, 6, 20))
    assert drone.title == "Drone downed" and drone.url == "https://example.org/a1"
    assert drone.sentence.startswith("Iran shot down")


def test_a_second_run_adds_nothing(store: NewsStore, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "day.jsonl", ROWS)
    ingest(store, read_source(str(source)), NOW)
    before = store.counts()
    again = ingest(store, read_source(str(source)), NOW)
    assert (again.new, again.duplicate) == (0, 3)
    assert store.counts() == before


def test_the_same_text_under_another_id_or_source_is_a_duplicate(
        store: NewsStore, tmp_path: Path) -> None:
    ingest(store, read_source(str(write_jsonl(tmp_path / "one.jsonl", ROWS[:1]))), NOW)
    copy = {**ROWS[0], "id": "other", "source": "another wire",
            "text": "  iran shot down an American drone over the Strait of Hormuz.\n"
                    "The United States   condemned the attack. "}
    report = ingest(store, read_source(str(write_jsonl(tmp_path / "two.jsonl", [copy]))), NOW)
    assert (report.new, report.duplicate) == (0, 1)


def test_an_rss_file_is_ingested_once(store: NewsStore) -> None:
    first = ingest(store, read_source(str(DATA / "feed.rss")), NOW)
    assert (first.new, first.duplicate) == (2, 0)
    second = ingest(store, read_source(str(DATA / "feed.rss")), NOW)
    assert (second.new, second.duplicate) == (0, 2)
    drill = next(e for e in store.events() if e.type == "MOBILIZE")
    assert (drill.source, drill.mode, drill.day) == ("IRN", "exercise", date(2020, 1, 21))
    assert drill.article_source == "Gulf Wire (test feed)"
    assert drill.article_ident == "gulfwire-1"
    assert drill.title == "Iran holds naval drills"


def test_a_folder_gives_every_news_file_in_it(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", ROWS[:2])
    (tmp_path / "b.rss").write_bytes((DATA / "feed.rss").read_bytes())
    (tmp_path / "notes.txt").write_text("not news")
    assert len(read_source(str(tmp_path))) == 4


# -- alerts ------------------------------------------------------------------------------------


def test_alerts_from_the_stored_history_include_saudi_arabia_and_iran_in_january_2016(
        store: NewsStore, regime: Regime) -> None:
    ingest(store, read_source(str(DATA / "history.jsonl")), NOW)
    found = alerts(store, regime)
    assert ("IRN-SAU", "2016-01") in {(a.rise.pair, a.rise.period) for a in found}
    flags = [a.participant for a in found]
    assert flags == sorted(flags, reverse=True)  # participants' pairs first
    only = alerts(store, regime, pair="SAU-IRN")
    assert only and {a.rise.pair for a in only} == {"IRN-SAU"}


# -- news against notifications ----------------------------------------------------------------


def notification(key: SigningKey, start: str, end: str, lat: float, lon: float,
                 index: int) -> LogRecord:
    body = {"kind": "naval", "name": "Velayat", "purpose": "Training.", "start": start,
            "end": end, "area": {"kind": "circle", "centre": {"lat": lat, "lon": lon},
                                 "radius_km": 40},
            "forces": {"major_surface_combatants": 6}}
    signed = compose(key, "IRN", form=NOTIFICATION, audience=ALL, body=body, seq=index,
                     now=START)
    return LogRecord(index, signed, START, START)


def test_a_reported_drill_without_a_covering_notification_is_a_finding(
        store: NewsStore, regime: Regime, party_keys: dict[str, SigningKey]) -> None:
    ingest(store, read_source(str(DATA / "feed.rss")), NOW)
    key = party_keys["IRN"]
    [finding] = unnotified(store, regime, [])
    data = finding.to_json()
    assert data["article"] == {"source": "Gulf Wire (test feed)", "id": "gulfwire-1",
                               "title": "Iran holds naval drills",
                               "url": "https://example.org/gulf/1", "date": "2020-01-21"}
    assert data["sentence"].startswith("Iran began naval drills")
    assert data["search"]["place"]["name"] == "Strait of Hormuz"
    assert data["explained"] is None

    elsewhere = notification(key, "2020-01-20", "2020-01-25", 29.25, 50.31, 3)  # Kharg
    earlier = notification(key, "2020-01-10", "2020-01-19", 26.5, 56.2, 4)
    [still] = unnotified(store, regime, [elsewhere, earlier])
    assert [n["why"] for n in still.to_json()["search"]["notifications"]] == [
        "area 615 km from Strait of Hormuz", "other days"]

    covering = notification(key, "2020-01-15", "2020-01-20", 26.5, 56.2, 5)  # ends the day before
    assert unnotified(store, regime, [elsewhere, covering]) == []


def test_an_explained_finding_is_shown_as_explained(
        store: NewsStore, regime: Regime) -> None:
    ingest(store, read_source(str(DATA / "feed.rss")), NOW)
    [finding] = unnotified(store, regime, [])
    explain(store, finding.id, "Notified by note verbale, not on the log.", NOW)
    [again] = unnotified(store, regime, [])
    assert again.explained == "Notified by note verbale, not on the log."
    with pytest.raises(NotFound):
        explain(store, "news-99999", "no such", NOW)


# -- the commands ------------------------------------------------------------------------------


def test_the_commands_ingest_and_alert(database_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "news"]
    done = runner.invoke(cli, [*base, "ingest", str(DATA / "history.jsonl"),
                               "--database", database_url, "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["new"] > 100
    again = runner.invoke(cli, [*base, "ingest", str(DATA / "history.jsonl"),
                                "--database", database_url])
    assert again.exit_code == 0 and " 0 new," in again.output
    listed = runner.invoke(cli, [*base, "alerts", "--database", database_url, "--format",
                                 "json", "--pair", "IRN-SAU"])
    assert listed.exit_code == 0, listed.output
    assert "2016-01" in {row["period"] for row in json.loads(listed.output)}


def test_the_regimes_early_warning_table_sets_the_alerts(store: NewsStore) -> None:
    from gulfsec.domain.regime import parse_regime

    text = (Path(__file__).resolve().parents[2] / "src/gulfsec/regimes/gulf.toml").read_text()
    ingest(store, read_source(str(DATA / "history.jsonl")), NOW)
    strict = parse_regime(text + "\n[early_warning]\nthreshold = 1000.0\njump = 1000.0\n", "x")
    assert strict.early_warning.threshold == 1000.0
    assert alerts(store, strict) == []


def test_a_large_archive_is_coded_on_every_core_with_the_same_events(
        store: NewsStore, tmp_path: Path) -> None:
    history = Path(__file__).parents[1] / "data" / "news" / "history.jsonl"
    serial = NewsStore(create_db_engine(f"sqlite:///{tmp_path / 'serial.db'}"))
    migrate(serial.engine, "news")
    one = ingest(serial, read_source(str(history)), NOW, workers=1)
    both = ingest(store, read_source(str(history)), NOW, workers=2, parallel_from=1)
    assert (both.new, both.events, both.coded) == (one.new, one.events, one.coded)
    key = [(e.source, e.target, e.type, e.sentence) for e in serial.events()]
    assert sorted(key) == sorted((e.source, e.target, e.type, e.sentence) for e in store.events())
    serial.engine.dispose()
