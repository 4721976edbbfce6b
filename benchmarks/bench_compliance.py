"""Benchmark the compliance engine on synthetic histories of about 10^4 and 10^5 records.

Run ``python benchmarks/bench_compliance.py [--years 1 10] [--activities 34] [--updates 50]``.

A history of Y years: every obliged participant (the 14 states of the default regime) files,
each year, an annual exchange, defence planning, an annual calendar of ``--activities``
activities, an arms-transfers report (with mirror rows to and from other states), a military
expenditure report and a non-proliferation declaration; it notifies each planned activity (a
few late, a few never), invites observers to the large ones, every other state replies to each
invitation, and every addressee acknowledges every entry addressed to it (a few late, a few
never). With 34 activities a year that is about 10,400 records a year: one year is the 10^4
size, ten years the 10^5 one (the sizes are the ``--years`` given). Entries are really signed
(Ed25519) and their ids computed before timing, as a node holds them.

``--quick``: one and two years of ten activities, a check that it still runs.

Printed, for each size: the full evaluation from cold (``evaluate``; the median of
``--repeat`` runs with the collector paused, as the compliance service runs the engine, and
one run with it on); the incremental engine's first findings after taking in the whole log;
the incremental update after one new record (``ComplianceEngine.add`` then ``findings``, and
``update_finality`` then ``findings``), median and maximum over ``--updates`` new records;
reading the findings again with nothing new, all of them and one party's. Then a table of
each figure at every size, with how much it grew. Targets at 10^5 records: full <= 1 s,
incremental <= 10 ms. The machine's load average is printed before and after: the figures
are wall-clock times, and another process on the machine slows them.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gulfsec.domain.compliance import ComplianceEngine, LogRecord, evaluate, obliged_parties
from gulfsec.domain.entry import ALL, Audience, Entry, SignedEntry, sign_entry
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime, default_regime
from gulfsec.services.shared.records import collector_paused

ACCEPTS_QUICK = True
SEED = 2019
START_YEAR = 2027
CATEGORIES = ("I", "II", "III", "IV", "V", "VI", "VII", "SALW")


class Log:
    """Entries signed by each party, sequenced into one log with finality times."""

    def __init__(self, parties: tuple[str, ...], rng: random.Random) -> None:
        self.keys = {p: SigningKey(p, rng.randbytes(32)) for p in parties}
        self.seq = dict.fromkeys(parties, 0)
        self.rng = rng

    def entry(
        self,
        at: datetime,
        sender: str,
        form: str,
        body: Any,
        audience: Audience = ALL,
        refs: tuple[str, ...] = (),
    ) -> SignedEntry:
        key = self.keys[sender]
        entry = Entry(
            form=form, sender=sender, key=key.key_id_hex, seq=self.seq[sender],
            time=at.replace(microsecond=0), audience=audience, body=body, refs=refs,
        )
        self.seq[sender] += 1
        signed = sign_entry(entry, key)
        signed.id  # noqa: B018 - computed once, as a node holding the entry has it
        return signed


def _circle(rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "circle",
        "centre": {"lat": round(rng.uniform(24, 30), 3), "lon": round(rng.uniform(48, 57), 3)},
        "radius_km": rng.randint(10, 80),
    }


def _forces(rng: random.Random, big: bool) -> dict[str, int]:
    if big:
        return {"troops": rng.choice((14_000, 20_000, 45_000)), "battle_tanks": 320}
    return rng.choice(
        (
            {"troops": rng.randint(9_000, 12_000)},
            {"major_surface_combatants": rng.randint(5, 9)},
            {"aircraft_sorties": rng.randint(200, 400)},
            {"troops": 3_000, "acv": 120},  # below every threshold: a voluntary notification
        )
    )


def history(years: int, activities: int, seed: int = SEED) -> tuple[list[LogRecord], datetime]:
    """A synthetic history of ``years`` years; returns the records and the 'now' after it."""
    regime = default_regime()
    rng = random.Random(seed)
    parties = obliged_parties(regime)
    log = Log(parties, rng)
    timed: list[tuple[datetime, SignedEntry]] = []

    def put(at: datetime, signed: SignedEntry) -> SignedEntry:
        timed.append((at, signed))
        return signed

    def acks(at: datetime, signed: SignedEntry, to: tuple[str, ...]) -> None:
        for party in to:
            roll = rng.random()
            if roll < 0.01:
                continue  # never acknowledged
            delay = timedelta(hours=30) if roll < 0.03 else timedelta(minutes=rng.randint(5, 600))
            body = {"entries": [signed.id_hex]}
            put(at + delay, log.entry(at + delay, party, "acknowledgement@1", body,
                                      refs=(signed.id_hex,)))

    def to_all(at: datetime, sender: str, form: str, body: dict[str, Any]) -> SignedEntry:
        signed = put(at, log.entry(at, sender, form, body))
        acks(at, signed, tuple(p for p in parties if p != sender))
        return signed

    joined = datetime(START_YEAR - 1, 12, 1, tzinfo=UTC)
    for party in parties:  # every state joins the log (registers its key) before it all
        put(joined, log.entry(joined, party, "key-registration@1",
                              {"party": party, "vkey": log.keys[party].verifier.encode()}))

    plans: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for year in range(START_YEAR, START_YEAR + years + 1):
        for party in parties:
            plans[(party, year)] = []
            for n in range(activities):
                start = date(year, 1, 15) + timedelta(days=rng.randint(0, 330))
                big = rng.random() < 0.15
                plans[(party, year)].append({
                    "ref": f"{party}-{year}-{n}", "kind": rng.choice(("land", "naval", "air")),
                    "name": f"Exercise {n}", "start": start.isoformat(),
                    "end": (start + timedelta(days=5)).isoformat(), "area": _circle(rng),
                    "forces": _forces(rng, big), "observed": big,
                })

    for year in range(START_YEAR, START_YEAR + years):
        # Arms transfers between the states: each importer reports what it received, but for a
        # few rows it leaves out or counts differently (the mirror check lists those).
        exports: dict[str, list[dict[str, Any]]] = {
            party: [
                {"partner": rng.choice([p for p in parties if p != party]),
                 "category": rng.choice(CATEGORIES), "quantity": rng.randint(1, 50)}
                for _ in range(3)
            ]
            for party in parties
        }
        imports: dict[str, list[dict[str, Any]]] = {party: [] for party in parties}
        for exporter, rows in exports.items():
            for row in rows:
                roll = rng.random()
                if roll < 0.03:
                    continue
                quantity = row["quantity"] + (1 if roll < 0.08 else 0)
                imports[row["partner"]].append(
                    {"partner": exporter, "category": row["category"], "quantity": quantity}
                )
        for party in parties:
            def day(month: int, d: int, y: int = year) -> datetime:
                return datetime(y, month, d, rng.randint(6, 18), rng.randint(0, 59), tzinfo=UTC)

            to_all(day(12, rng.randint(1, 15), year - 1), party, "annual-exchange@1", {
                "year": year,
                "command_organisation": [{"ref": "GS", "name": "General Staff"}],
                "units": [
                    {"ref": f"U{u}", "name": f"Brigade {u}", "service": "land", "command": "GS",
                     "location": {"name": "Base", "point": {"lat": 27, "lon": 52}},
                     "personnel": 3_000, "weapons": {"battle_tanks": 40}}
                    for u in range(3)
                ],
            })
            to_all(day(2, rng.randint(1, 28)), party, "defence-planning@1", {
                "budget_year": year, "budget_approval_date": f"{year}-01-10", "currency": "USD",
                "policy": "Defensive.", "force_planning": "Steady.",
                "previous_expenditure": {"year": year - 1, "amount": 10**9}, "budget": 10**9,
            })
            planned = plans[(party, year)]
            # The constraining provision: the next year's largest activities, two years ahead.
            later = [a for a in plans[(party, year + 1)] if a["forces"].get("troops", 0) >= 40_000]
            to_all(day(11, rng.randint(1, 14), year - 1), party, "annual-calendar@1",
                   {"year": year, "activities": planned, "later_activities": later})
            for activity in planned:
                roll = rng.random()
                if roll < 0.02:
                    continue  # never notified
                start = date.fromisoformat(activity["start"])
                ahead = rng.randint(20, 41) if roll < 0.07 else rng.randint(43, 60)
                at = datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=ahead)
                notice = to_all(at, party, "activity-notification@1", {
                    "kind": activity["kind"], "name": activity["name"], "purpose": "Training.",
                    "start": activity["start"], "end": activity["end"], "area": activity["area"],
                    "forces": activity["forces"], "calendar_ref": activity["ref"],
                })
                if activity["observed"]:
                    at += timedelta(days=1)
                    invitation = to_all(at, party, "observation-invitation@1", {
                        "notification": notice.id_hex, "programme": "Briefing, then the field.",
                        "arrival": activity["start"], "arrival_point": "Air base",
                        "departure": activity["end"], "observers_per_state": 2,
                        "reply_by": activity["start"],
                    })
                    for other in parties:
                        if other == party:
                            continue
                        reply_at = at + timedelta(days=rng.randint(1, 10))
                        reply = put(reply_at, log.entry(
                            reply_at, other, "observation-reply@1",
                            {"invitation": invitation.id_hex, "decision": "decline"},
                            audience=(party,), refs=(invitation.id_hex,),
                        ))
                        acks(reply_at, reply, (party,))
            to_all(day(4, rng.randint(1, 30), year + 1), party, "arms-transfers@1", {
                "year": year, "nil_report": False, "exports": exports[party],
                "imports": imports[party],
            })
            to_all(day(3, rng.randint(1, 30), year + 1), party, "military-expenditure@1",
                   {"year": year, "report": {"kind": "nil"}})
            to_all(day(1, rng.randint(1, 28)), party, "nonproliferation-declaration@1", {
                "as_of": f"{year}-01-01",
                "treaties": {"npt": "party", "cwc": "party", "bwc": "party", "ctbt": "signatory"},
                "iaea_safeguards_agreement": True, "iaea_additional_protocol": False,
                "wmd_free_zone_support": True,
            })

    timed.sort(key=lambda item: item[0])
    records = [
        LogRecord(index, signed, at + timedelta(seconds=rng.randint(1, 90)), at)
        for index, (at, signed) in enumerate(timed)
    ]
    return records, datetime(START_YEAR + years, 6, 30, tzinfo=UTC)


def new_records(
    records: list[LogRecord], count: int, rng: random.Random
) -> Iterator[tuple[LogRecord, datetime]]:
    """``count`` further records (not final yet), each with the finality time it will get:
    acknowledgements of earlier entries, notifications, messages."""
    regime: Regime = default_regime()
    parties = obliged_parties(regime)
    log = Log(parties, rng)
    log.seq = {p: 10**6 for p in parties}  # a fresh key per party: sequences do not matter here
    at = records[-1].sequenced_at
    index = records[-1].index
    for n in range(count):
        at += timedelta(minutes=1)
        index += 1
        sender = parties[n % len(parties)]
        kind = n % 3
        if kind == 0:
            target = records[rng.randrange(len(records))].entry
            signed = log.entry(at, sender, "acknowledgement@1", {"entries": [target.id_hex]},
                               refs=(target.id_hex,))
        elif kind == 1:
            start = (at + timedelta(days=50)).date()
            signed = log.entry(at, sender, "activity-notification@1", {
                "kind": "land", "name": f"Snap {n}", "purpose": "Readiness.",
                "start": start.isoformat(), "end": (start + timedelta(days=3)).isoformat(),
                "area": _circle(rng), "forces": {"troops": 10_000},
            })
        else:
            signed = log.entry(at, sender, "message@1",
                               {"subject": "Consultation", "text": "Proposal."},
                               audience=(parties[(n + 1) % len(parties)],))
        yield LogRecord(index, signed, None, at), at + timedelta(seconds=30)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds >= 0.001 else f"{seconds * 1000:.3f} ms"


def run(
    years: int = 10, activities: int = 34, updates: int = 50, repeat: int = 3
) -> dict[str, float]:
    """Measure one size; return its figures (seconds, and the number of records)."""
    regime = default_regime()
    t0 = time.perf_counter()
    records, now = history(years, activities)
    built = time.perf_counter() - t0
    print(f"-- {len(records):,} signed records: {years} year{'s' if years > 1 else ''} of "
          f"{activities} activities per state ({len(obliged_parties(regime))} states), built in "
          f"{built:.1f} s")

    gc.collect()
    t0 = time.perf_counter()
    evaluate(regime, records, now)
    collecting_s = time.perf_counter() - t0
    runs: list[float] = []
    cpu: list[float] = []
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        with collector_paused():  # as the compliance service calls the engine
            full = evaluate(regime, records, now)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    full_s, full_cpu = statistics.median(runs), statistics.median(cpu)
    counts: dict[str, int] = {}
    for finding in full:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    print(f"findings: {len(full):,} ({', '.join(f'{v:,} {k}' for k, v in counts.items())})")

    gc.collect()
    engine = ComplianceEngine(regime)
    t0 = time.perf_counter()
    with collector_paused():
        for record in records:
            engine.add(record)
        first = engine.findings(now)
    warm_s = time.perf_counter() - t0
    assert first == full

    rng = random.Random(SEED + 1)
    adds: list[float] = []
    finals: list[float] = []
    reads: list[float] = []
    party_reads: list[float] = []
    extra = list(new_records(records, updates, rng))
    party = obliged_parties(regime)[0]
    engine.findings(now, party)
    gc.collect()
    with collector_paused():
        for record, final_at in extra:
            t0 = time.perf_counter()
            engine.add(record)
            engine.findings(now)
            adds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            engine.update_finality(record.index, final_at)
            engine.findings(now)
            finals.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            engine.findings(now)
            reads.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            engine.findings(now, party)
            party_reads.append(time.perf_counter() - t0)
    final_records = [*records, *(dataclasses.replace(r, final_at=f) for r, f in extra)]
    assert engine.findings(now) == evaluate(regime, final_records, now)
    assert engine.findings(now, party) == evaluate(regime, final_records, now, party=party)

    print(f"full evaluation from cold:         {_ms(full_s):>11} wall, {_ms(full_cpu)} CPU "
          f"(median of {repeat}; the collector paused by the service; "
          f"{_ms(collecting_s)} with it on)")
    print(f"incremental engine, the whole log: {_ms(warm_s):>11} (record by record, then "
          "its first findings)")
    print(f"incremental: add one record:       {_ms(statistics.median(adds)):>11} "
          f"(median of {updates}; max {_ms(max(adds))})")
    print(f"incremental: it becomes final:     {_ms(statistics.median(finals)):>11} "
          f"(median of {updates}; max {_ms(max(finals))})")
    print(f"reading every finding again:       {_ms(statistics.median(reads)):>11} "
          f"({len(first):,} findings, nothing new)")
    print(f"reading one party's findings:      {_ms(statistics.median(party_reads)):>11} "
          f"({party}: {len(engine.findings(now, party)):,} findings)")
    print("(the engine's results were checked equal to the full evaluation's)")
    return {
        "records": len(records),
        "full_s": full_s,
        "warm_s": warm_s,
        "add_s": statistics.median(adds),
        "final_s": statistics.median(finals),
        "read_s": statistics.median(reads),
        "party_s": statistics.median(party_reads),
    }


FIGURES = (
    ("full_s", "full evaluation from cold", 1.0, "1 s"),
    ("warm_s", "incremental engine, the whole log", None, ""),
    ("add_s", "incremental: add one record", 0.010, "10 ms"),
    ("final_s", "incremental: it becomes final", 0.010, "10 ms"),
    ("read_s", "reading every finding again", None, ""),
    ("party_s", "reading one party's findings", None, ""),
)
"""(key, what, target in seconds at the largest size or None, the target as written)."""


def table(results: list[dict[str, float]]) -> str:
    """Each figure at every size, how much it grew from the first size, and its target."""
    sizes = [f"{int(r['records']):,} records" for r in results]
    lines = [f"{'':36}" + "".join(f"{size:>17}" for size in sizes) + "     growth  target"]
    grew = results[-1]["records"] / results[0]["records"]
    lines.append(f"{'(records)':36}" + " " * 17 * len(results) + f"{grew:9.1f} x")
    for key, what, target, written in FIGURES:
        cells = "".join(f"{_ms(r[key]):>17}" for r in results)
        growth = results[-1][key] / results[0][key]
        aim = "" if target is None else (
            f"<= {written}: " + ("met" if results[-1][key] <= target else "MISSED"))
        lines.append(f"{what:36}{cells}{growth:9.1f} x  {aim}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 10],
                        help="one history of each length (default: 1 and 10)")
    parser.add_argument("--activities", type=int, default=34, help="per party and year")
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="full evaluations per size")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    years, activities, updates = args.years, args.activities, args.updates
    if args.quick:
        years, activities, updates = [1, 2], 10, 10
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)")
    results = [run(y, activities, updates, args.repeat) for y in years]
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(table(results))


if __name__ == "__main__":
    main()
