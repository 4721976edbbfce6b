"""Event coding from news text: quality on a labelled set, and speed, beside an actor scan.

Run ``python benchmarks/bench_event_coding.py [--repeat 40] [--errors tune|heldout]``.

The set, ``benchmarks/data/event_coding_eval.jsonl``, holds sentences written for gulfsec about
real, dated events in and around the Gulf, 2015-2024 (the Saudi-Iran rupture of January 2016,
the Qatar blockade, the tanker seizures and the drone shot down in 2019, the Soleimani strike
and Iran's missiles in January 2020, the Beijing deal of March 2023, JCPOA talks, Houthi
attacks, prisoner swaps, exercises...), in varied phrasing: active and passive, leaders and
titles, capitals and demonyms, mutual and compound actors, negated, and sentences with no
event. Each row: ``{id, date, split, text, events: [{source, target, type}]}``. The rows were
written, with their gold events, before the coder existed; ``split`` is ``tune`` (the rows
looked at while writing the word lists and rules) or ``heldout`` (about 30 %, never looked at
row by row), and both are reported.

Gold events follow PLOVER with the conventions in :mod:`gulfsec.domain.news.events`: one
event per member of a compound actor, mutual events both ways, visitor -> host, mediator ->
each party, a named source and target (MOBILIZE may have target ""), what is alleged ("blamed
Iran for the attack") not coded as done, nothing when no actor is named.

Printed:
- precision, recall and F1 on (source, target, type) triples, per split; and accuracy on type
  over the gold events whose (source, target) pair the coder found;
- sentences per second: the coder on one core, sentence by sentence and on 5-sentence
  articles (splitting included), the coder on both cores (a process pool over a corpus made by
  repeating the set ``--repeat`` times), and, as the ceiling, the same
  sentences through the actor scan alone (:func:`actors_in`) and through one plain regular
  expression of every English actor name: no dictionary coder can be faster than finding its
  actors, so these bound what any refinement of the coder could reach.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gulfsec.domain.news.actors import actor_names, actors_in
from gulfsec.domain.news.events import code_sentence, code_text

ACCEPTS_QUICK = True
DATA = Path(__file__).resolve().parent / "data" / "event_coding_eval.jsonl"
Triple = tuple[str, str, str]


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def triples(events: Sequence[Any]) -> set[Triple]:
    out: set[Triple] = set()
    for event in events:
        if isinstance(event, dict):
            out.add((event["source"], event["target"], event["type"]))
        else:
            out.add((event.source, event.target, event.type))
    return out


def score(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    tp = fp = fn = 0
    pair_found = type_right = 0
    for row in rows:
        gold = triples(row["events"])
        predicted = triples(code_sentence(row["text"]))
        tp += len(gold & predicted)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        pairs = {(s, t): set() for s, t, _ in predicted}
        for s, t, kind in predicted:
            pairs[(s, t)].add(kind)
        for s, t, kind in gold:
            if (s, t) in pairs:
                pair_found += 1
                type_right += kind in pairs[(s, t)]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "sentences": len(rows), "gold": tp + fn, "predicted": tp + fp, "tp": tp,
        "precision": precision, "recall": recall, "f1": f1,
        "type_accuracy": type_right / pair_found if pair_found else 1.0,
        "pairs_found": pair_found,
    }  # fmt: skip


def show_errors(rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        gold = triples(row["events"])
        predicted = triples(code_sentence(row["text"]))
        if gold != predicted:
            print(f"{row['id']} {row['text']}")
            for s, t, kind in sorted(gold - predicted):
                print(f"    missed   {s}->{t or '-'} {kind}")
            for s, t, kind in sorted(predicted - gold):
                print(f"    spurious {s}->{t or '-'} {kind}")


def _code_chunk(sentences: Sequence[str]) -> int:
    return sum(len(code_sentence(s)) for s in sentences)


def rate(function: Callable[[str], object], sentences: Sequence[str], rounds: int = 3) -> float:
    """Sentences per second, the best of ``rounds`` passes over ``sentences``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for sentence in sentences:
            function(sentence)
        best = min(best, time.perf_counter() - start)
    return len(sentences) / best


def pool_rate(sentences: Sequence[str], workers: int) -> float:
    chunk = max(1, len(sentences) // (workers * 8))
    chunks = [sentences[i : i + chunk] for i in range(0, len(sentences), chunk)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pool.map(_code_chunk, chunks[:workers])  # start the workers before timing
        start = time.perf_counter()
        pool.map(_code_chunk, chunks)
        elapsed = time.perf_counter() - start
    return len(sentences) / elapsed


def plain_scanner() -> Callable[[str], list[str]]:
    """One regular expression of every English actor name: the floor of a dictionary coder."""
    names = sorted(
        {name.lstrip("~") for code, name in actor_names() if code != "-" and name.isascii()},
        key=len, reverse=True,
    )  # fmt: skip
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")
    return pattern.findall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--repeat", type=int, default=40, help="copies of the set to time")
    parser.add_argument("--errors", choices=("tune", "heldout"), help="print a split's errors")
    parser.add_argument("--quick", action="store_true", help="a small corpus, a smoke run")
    args = parser.parse_args()
    rows = load()
    if args.errors:
        show_errors([r for r in rows if r["split"] == args.errors])
        return
    print(f"event coding quality ({DATA.name}: {len(rows)} sentences, "
          f"{sum(len(r['events']) for r in rows)} gold events)")
    print(f"{'split':<9}{'sent':>6}{'gold':>6}{'coded':>7}{'P':>8}{'R':>8}{'F1':>8}"
          f"{'type acc':>10}")
    for name in ("tune", "heldout", "all"):
        part = [r for r in rows if name == "all" or r["split"] == name]
        m = score(part)
        print(f"{name:<9}{m['sentences']:>6}{m['gold']:>6}{m['predicted']:>7}"
              f"{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}"
              f"{m['type_accuracy']:>10.3f}")
    repeat = 4 if args.quick else args.repeat
    corpus = [r["text"] for r in rows] * repeat
    code_sentence(corpus[0])
    scan = plain_scanner()
    workers = min(2, os.cpu_count() or 1)
    one = rate(code_sentence, corpus)
    articles = [" ".join(corpus[i : i + 5]) for i in range(0, len(corpus), 5)]
    per_article = rate(code_text, articles)
    both = pool_rate(corpus, workers)
    actors = rate(actors_in, corpus)
    regex = rate(scan, corpus)
    ceiling = max(actors, regex)
    words = statistics.mean(len(s.split()) for s in corpus)
    print(f"\nspeed on {len(corpus)} sentences ({words:.0f} words each on average), "
          f"sentences per second")
    print(f"{'':<46}{'sent/s':>10}{'vs ceiling':>12}")
    print(f"{'coder, one core':<46}{one:>10,.0f}{one / ceiling:>12.2f}")
    print(f"{'coder on 5-sentence articles (code_text)':<46}{per_article * 5:>10,.0f}"
          f"{per_article * 5 / ceiling:>12.2f}")
    print(f"{f'coder, {workers} processes':<46}{both:>10,.0f}{both / ceiling:>12.2f}")
    print(f"{'actors only: actors_in, one core':<46}{actors:>10,.0f}"
          f"{actors / ceiling:>12.2f}")
    print(f"{'actors only: one regex of all names, one core':<46}{regex:>10,.0f}"
          f"{regex / ceiling:>12.2f}")
    print("ceiling: the faster actor-only scan, which finds the actors and codes nothing: no "
          "dictionary coder can be faster than finding its actors")
    print("targets: F1 >= 0.8; >= 300 sentences/s on one core")


if __name__ == "__main__":
    main()
