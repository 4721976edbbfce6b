"""A page worker's timings reach the node's process (its ``/metrics``) over a pipe: batched,
bounded when nobody reads, and anything else on the pipe ignored."""

from __future__ import annotations

import multiprocessing

from gulfsec.web.workers import Timings, take_timings


def _pipe() -> tuple[multiprocessing.connection.Connection, multiprocessing.connection.Connection]:
    reading, writing = multiprocessing.Pipe(duplex=False)
    return reading, writing


def test_timings_go_over_in_one_batch_and_are_counted() -> None:
    reading, writing = _pipe()
    timings = Timings(writing)
    timings.observe("GET", "/inbox", 200, 0.012)
    timings.observe("GET", "/entries/{entry_id}", 404, 0.003)
    assert timings.flush()
    seen: list[tuple[str, str, int, float]] = []
    assert take_timings(reading, lambda *timing: seen.append(timing))
    assert seen == [("GET", "/inbox", 200, 0.012), ("GET", "/entries/{entry_id}", 404, 0.003)]


def test_a_worker_keeps_only_the_latest_timings_when_nobody_reads() -> None:
    reading, writing = _pipe()
    timings = Timings(writing, most=3)
    for n in range(5):
        timings.observe("GET", f"/page{n}", 200, 0.001)
    assert timings.flush()
    seen: list[str] = []
    take_timings(reading, lambda _method, route, _status, _seconds: seen.append(route))
    assert seen == ["/page2", "/page3", "/page4"]


def test_what_is_not_a_timing_is_ignored_and_a_closed_pipe_ends_it() -> None:
    reading, writing = _pipe()
    writing.send([("GET", "/inbox", "200", 0.1), ("GET",), "text", ("GET", "/inbox", 200, 0.5)])
    writing.send({"not": "a batch"})
    seen: list[float] = []
    assert take_timings(reading, lambda *timing: seen.append(timing[3]))
    assert take_timings(reading, lambda *timing: seen.append(timing[3]))
    assert seen == [0.5]
    writing.close()
    assert not take_timings(reading, lambda *timing: seen.append(timing[3]))


def test_a_worker_stops_handing_on_once_the_node_process_is_gone() -> None:
    reading, writing = _pipe()
    reading.close()
    timings = Timings(writing)
    timings.observe("GET", "/inbox", 200, 0.01)
    assert not timings.flush()
