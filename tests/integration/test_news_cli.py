"""``gulfsec news code`` and ``gulfsec news tension``: open news read from JSON Lines, no database.

Two kinds of test. The first kind checks the commands' own work — reading rows, standard input,
the one-line errors naming the line, the output's shape and order, the periods — with the event
coder replaced at its one chokepoint (``gulfsec.cli.news._code_one``) by a fake that reads
"IRN ASSAULT USA" literally. The second kind runs the real coder: the history checks of issue 13
over ``tests/data/news/history.jsonl`` (dated sentences about real events, written for these
tests: see the README beside it), the shape of real events, an Arabic sentence, and coding a
large file on every core.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support.processes import gulfsec_in_process

from gulfsec.cli import news as news_cli

HISTORY = Path(__file__).resolve().parents[1] / "data" / "news" / "history.jsonl"


def gulfsec(*args: str, input: str | None = None, check: bool = True) -> Result:
    return gulfsec_in_process({}, *args, input=input, check=check)


def jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def one_error(result: Result) -> str:
    """The one line a failed command wrote on standard error (and nothing on standard output)."""
    lines = result.stderr.splitlines()
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert len(lines) == 1 and lines[0].startswith("gulfsec: error: "), result.stderr
    assert result.stdout == ""
    return lines[0]


# -- a fake coder: "IRN ASSAULT USA. SAU CONSULT IRN." --------------------------------------------


def fake_code(item: tuple[str, str | None]) -> list[news_cli.Found]:
    text, _language = item
    found = []
    for number, sentence in enumerate(s.strip() for s in text.split(".") if s.strip()):
        words = sentence.split()
        if len(words) == 3 and words[1].isupper():
            found.append(news_cli.Found(words[0], words[2], words[1], None, number))
    return found


@pytest.fixture
def fake_coder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(news_cli, "_code_one", fake_code)


def test_news_code_prints_one_line_per_row_in_order(fake_coder: None, tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(jsonl({"id": "a", "text": "IRN ASSAULT USA. USA SANCTION IRN."},
                          {"id": 2, "text": "Nothing happened today."},
                          {"id": "c", "text": "SAU CONSULT IRN", "date": "2023-04-06"}))
    out = gulfsec("news", "code", str(path)).stdout.splitlines()
    assert [json.loads(line) for line in out] == [
        {"id": "a", "events": [
            {"source": "IRN", "target": "USA", "type": "ASSAULT", "mode": None, "sentence": 0},
            {"source": "USA", "target": "IRN", "type": "SANCTION", "mode": None,
             "sentence": 1}]},
        {"id": 2, "events": []},
        {"id": "c", "events": [
            {"source": "SAU", "target": "IRN", "type": "CONSULT", "mode": None,
             "sentence": 0}]}]


def test_news_code_reads_standard_input_and_skips_blank_lines(fake_coder: None) -> None:
    rows = jsonl({"id": "x", "text": "QAT REJECT SAU"}) + "\n   \n" + jsonl(
        {"id": "y", "text": "مرحبا", "language": "ar"})
    out = gulfsec("news", "code", "-", input=rows).stdout
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["x", "y"]
    assert "مرحبا" not in out


@pytest.mark.parametrize(("row", "message"), [
    ('{"id": "b", "text": ', "line 2: not JSON"),
    ('["b", "text"]', "line 2: not a JSON object"),
    ('{"text": "IRN ASSAULT USA"}', 'line 2: no "id"'),
    ('{"id": null, "text": "IRN ASSAULT USA"}', 'line 2: no "id"'),
    ('{"id": "b"}', 'line 2: no "text"'),
    ('{"id": "b", "text": 7}', 'line 2: no "text"'),
    ('{"id": "b", "id": "c", "text": "x"}', "line 2: not JSON (duplicate key 'id')"),
    ('{"id": "b", "text": "x", "language": 1}', 'line 2: "language"'),
    ('{"id": "b", "text": "x", "date": "the day after"}', 'line 2: "date"'),
])
def test_a_bad_row_stops_news_code_naming_its_line_before_printing_anything(
        fake_coder: None, tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(jsonl({"id": "a", "text": "IRN ASSAULT USA"}) + row + "\n")
    line = one_error(gulfsec("news", "code", str(path), check=False))
    assert f"{path} {message}" in line


def test_rows_end_at_newlines_only_crlf_included(fake_coder: None) -> None:
    rows = (json.dumps({"id": "a", "text": "IRN ACCUSE SAU.\u2028SAU REJECT IRN."},
                       ensure_ascii=False) + "\r\n" + jsonl({"id": "b", "text": "x"}))
    assert "\u2028" in rows
    out = [json.loads(line) for line in gulfsec("news", "code", "-", input=rows).stdout
           .splitlines()]
    assert [(row["id"], len(row["events"])) for row in out] == [("a", 2), ("b", 0)]


def test_a_bad_row_on_standard_input_is_named_too(fake_coder: None) -> None:
    line = one_error(gulfsec("news", "code", "-", input="\n\nnot json\n", check=False))
    assert "standard input line 3: not JSON" in line


def test_news_code_names_a_file_it_cannot_read_or_decode(tmp_path: Path) -> None:
    line = one_error(gulfsec("news", "code", str(tmp_path / "none.jsonl"), check=False))
    assert "cannot read news file" in line and "none.jsonl" in line
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "caf\xe9"}\n')
    assert "line 2: not UTF-8" in one_error(gulfsec("news", "code", str(path), check=False))


def test_news_tension_gives_monthly_rows_for_every_pair_by_default(fake_coder: None) -> None:
    rows = jsonl({"id": 1, "date": "2019-06-20", "text": "IRN ASSAULT USA"},
                 {"id": 2, "date": "2019-06-24", "text": "USA SANCTION IRN"},
                 {"id": 3, "date": "2019-08-02T10:00:00Z", "text": "Nothing more."})
    found = json.loads(gulfsec("news", "tension", "-", input=rows).stdout)
    assert found == [{"pair": "IRN-USA", "period": "2019-06", "index": 14.0},
                     {"pair": "IRN-USA", "period": "2019-07", "index": 7.0},  # June: 30 days
                     {"pair": "IRN-USA", "period": "2019-08", "index": 3.42}]  # 31 days


def test_news_tension_by_week_and_day_with_a_half_life(fake_coder: None) -> None:
    rows = jsonl({"id": 1, "date": "2016-01-03", "text": "SAU SANCTION IRN"},
                 {"id": 2, "date": "2016-01-05", "text": "Calm."})
    weekly = json.loads(gulfsec("news", "tension", "-", "--period", "week", input=rows).stdout)
    assert [(r["pair"], r["period"]) for r in weekly] == [("IRN-SAU", "2015-W53"),
                                                          ("IRN-SAU", "2016-W01")]
    daily = json.loads(gulfsec("news", "tension", "-", "--period", "day", "--half-life", "1",
                               input=rows).stdout)
    assert [(r["period"], r["index"]) for r in daily] == [
        ("2016-01-03", 4.0), ("2016-01-04", 2.0), ("2016-01-05", 1.0)]


def test_news_tension_as_a_table(fake_coder: None) -> None:
    rows = jsonl({"id": 1, "date": "2017-06-05", "text": "SAU SANCTION QAT"})
    out = gulfsec("news", "tension", "-", "--format", "table", input=rows).stdout
    assert out.split() == ["QAT-SAU", "2017-06", "4.00"]
    empty = jsonl({"id": 1, "date": "2017-06-05", "text": "Calm."})
    assert gulfsec("news", "tension", "-", "--format", "table", input=empty).stdout == (
        "no events between two actors\n")
    assert json.loads(gulfsec("news", "tension", "-", input=empty).stdout) == []


def test_news_tension_needs_every_rows_date(fake_coder: None) -> None:
    rows = jsonl({"id": 1, "date": "2017-06-05", "text": "SAU SANCTION QAT"},
                 {"id": 2, "text": "QAT REJECT SAU"})
    line = one_error(gulfsec("news", "tension", "-", input=rows, check=False))
    assert 'standard input line 2: no "date"' in line


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf", "nan"])
def test_news_tension_refuses_a_half_life_that_is_not_a_positive_number(
        fake_coder: None, value: str) -> None:
    rows = jsonl({"id": 1, "date": "2017-06-05", "text": "SAU SANCTION QAT"})
    line = one_error(gulfsec("news", "tension", "-", "--half-life", value, input=rows,
                             check=False))
    assert "--half-life" in line


def test_every_news_command_and_option_has_help() -> None:
    for args in (("news",), ("news", "code"), ("news", "tension")):
        out = gulfsec(*args, "--help").stdout
        assert "FILE" in out or args == ("news",)
    out = gulfsec("news", "tension", "--help").stdout
    for option in ("--period", "--half-life", "--format"):
        assert option in out
    assert "line number" in gulfsec("news", "--help").stdout


# -- the real coder ------------------------------------------------------------------------------


def test_news_code_gives_real_events_in_the_promised_shape() -> None:
    rows = jsonl({"id": "n1", "text": "Iran's Revolutionary Guards shot down an American drone "
                                      "over the Strait of Hormuz."},
                 {"id": "n2", "text": "The weather in Doha was hot."})
    out = [json.loads(line) for line in gulfsec("news", "code", "-", input=rows).stdout
           .splitlines()]
    assert [row["id"] for row in out] == ["n1", "n2"]
    assert out[1]["events"] == []
    assert {"source": "IRN", "target": "USA", "type": "ASSAULT"}.items() <= (
        out[0]["events"][0].items())
    assert set(out[0]["events"][0]) == {"source", "target", "type", "mode", "sentence"}


def test_an_arabic_sentence_gives_no_events_yet() -> None:
    rows = jsonl({"id": "ar1", "language": "ar",
                  "text": "قطعت المملكة العربية السعودية علاقاتها الدبلوماسية مع إيران."})
    out = json.loads(gulfsec("news", "code", "-", input=rows).stdout)
    assert out == {"id": "ar1", "events": []}


def test_a_large_file_is_coded_on_every_core_in_its_order(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    texts = [json.loads(line) for line in HISTORY.read_text().splitlines()]
    rows = [{"id": f"{i}", "text": texts[i % len(texts)]["text"]} for i in range(80)]
    path = tmp_path / "many.jsonl"
    path.write_text(jsonl(*rows))
    alone = gulfsec("news", "code", str(path)).stdout
    monkeypatch.setattr(news_cli, "PARALLEL_ROWS", 10)
    monkeypatch.setattr(news_cli, "CHUNK_ROWS", 10)
    together = gulfsec("news", "code", str(path)).stdout
    assert together == alone
    assert [json.loads(line)["id"] for line in together.splitlines()] == [r["id"] for r in rows]


# -- the history checks (issue 13) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> dict[tuple[str, str], float]:
    rows = json.loads(gulfsec("news", "tension", str(HISTORY)).stdout)
    return {(row["pair"], row["period"]): row["index"] for row in rows}


def test_every_row_of_the_history_names_two_actors_and_a_period(
        history: dict[tuple[str, str], float]) -> None:
    assert history
    for pair, period in history:
        assert re.fullmatch(r"[A-Z]{3,4}-[A-Z]{3,4}", pair), pair
        assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", period), period
        assert pair.split("-") == sorted(pair.split("-"))


def at(history: dict[tuple[str, str], float], pair: str, period: str) -> float:
    return history.get((pair, period), 0.0)


def test_saudi_iran_tension_rises_in_january_2016(history: dict[tuple[str, str], float]
                                                  ) -> None:
    before, after = at(history, "IRN-SAU", "2015-12"), at(history, "IRN-SAU", "2016-01")
    assert after >= 3 * before and after - before >= 20, (before, after)
    assert at(history, "BHR-IRN", "2016-01") > at(history, "BHR-IRN", "2015-12")


@pytest.mark.parametrize("pair", ["QAT-SAU", "ARE-QAT", "BHR-QAT"])
def test_qatar_and_its_neighbours_rise_in_june_2017(history: dict[tuple[str, str], float],
                                                    pair: str) -> None:
    before, after = at(history, pair, "2017-05"), at(history, pair, "2017-06")
    assert after > 2 * before and after - before >= 8, (pair, before, after)


@pytest.mark.parametrize(("before", "after"), [("2019-05", "2019-06"), ("2019-12", "2020-01")])
def test_iran_us_tension_rises_in_june_2019_and_january_2020(
        history: dict[tuple[str, str], float], before: str, after: str) -> None:
    was, now = at(history, "IRN-USA", before), at(history, "IRN-USA", after)
    assert now > 1.5 * was and now - was >= 10, (before, was, after, now)


def test_saudi_iran_tension_falls_after_the_beijing_agreement_of_march_2023(
        history: dict[tuple[str, str], float]) -> None:
    february, june = at(history, "IRN-SAU", "2023-02"), at(history, "IRN-SAU", "2023-06")
    assert february > 0 and june < february, (february, june)
    assert at(history, "IRN-SAU", "2023-12") < february
    assert at(history, "IRN-SAU", "2022-11") > february  # the threats of late 2022 fading
