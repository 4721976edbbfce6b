"""Clock discipline: how far this node's clock is from the hub's, said at once when it is
beyond the regime's allowance (``limits.clock_skew``).

A node whose clock is off fails in ways that do not name their cause: the hub refuses what it
signs (a request's or an entry's claimed time is off the hub's clock), checkpoints look dated in
the future or the past. So each sync round measures the offset from what the node gets anyway:

- The hub signs every answer with the time it answered, in whole seconds of its clock
  (:mod:`gulfsec.ledger.answers`). If the hub's clock read ``T`` (its moment lay in
  ``[T, T + 1)``), and the node asked at ``sent`` and heard back at ``received`` by its own
  clock, then the node's clock was ahead of the hub's by an offset ``θ`` with

      sent − (T + 1) ≤ θ ≤ received − T

  — bounds, not a difference (:func:`offset_bounds`): a slow answer (a long poll) widens them
  and never moves them wrongly.
- The last few rounds narrow them while they agree (:func:`combined`): the bounds of each are
  intersected, newest first, until one does not meet the rest — a clock set meanwhile — and
  the older ones are left out. What is combined always lies within the newest bounds.
- Only answers that verify under the pinned log key count (:meth:`ClockWatch.observe`; the
  client verifies them too, when it was given the key).

Each round (:meth:`ClockWatch.judge`), against the allowance ``A``:

- the bounds lie wholly beyond ``±A``: the clock is off. The first round of such an episode
  raises the alarm ``clock_drift`` (its message says by how much, which way and what to do;
  its evidence holds the signed answers and the node's own times of asking and hearing), and
  the state is kept in the node's database (meta key :data:`CLOCK`), where the pages —
  served by page workers too — read it (:meth:`.node.Node.clock_state`) for a banner while
  the episode lasts, and the node's status (``clock_ok``, ``clock_offset_s``);
- wholly within: the clock is right. An episode ends: the banner goes, the recovery is logged,
  and the alarm stays, as every alarm does, a record of what happened;
- astride the allowance: nothing changes, so one slow answer neither raises nor ends one.

While the clock is off (:attr:`ClockWatch.drifting`), a checkpoint dated beyond the node's
clock but not after the hub's own signed answer is refused without a ``future_checkpoint``
alarm (:mod:`.sync`): the cause is the node's clock, not the hub.

The alarm informs; it proves nothing about the hub. The hub signed its time, but the times of
asking and hearing are the node's word alone, so :mod:`gulfsec.ledger.evidence` has no check
for it, and ``gulfsec verify-evidence`` says that it carries no evidence a third party can check
with the log key alone.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gulfsec.adapters.storage.node import NodeRepository
from gulfsec.domain.encoding import format_time, parse_time
from gulfsec.errors import AnswerSignatureError
from gulfsec.i18n import N_
from gulfsec.ledger.answers import SignedAnswer
from gulfsec.services.node.core import NodeCore, SyncReport, log

CLOCK: Final = "clock"
"""Meta key: the node's clock as last judged (:class:`ClockState`, as JSON)."""

KEPT_SAMPLES: Final = 5
"""How many recent rounds' measurements :func:`combined` may narrow the bounds with."""


@dataclass(frozen=True)
class OffsetBounds:
    """How far the node's clock is ahead of the hub's, in seconds (negative: behind): at least
    :attr:`low`, at most :attr:`high`."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError(f"empty bounds [{self.low}, {self.high}]")

    @property
    def estimate(self) -> float:
        """The middle of the bounds: the best guess."""
        return (self.low + self.high) / 2

    @property
    def least(self) -> float:
        """The offset within the bounds nearest to none: how far off the clock is at least."""
        if self.low > 0:
            return self.low
        if self.high < 0:
            return self.high
        return 0.0

    def beyond(self, allowance: float) -> bool:
        """Whether every offset within the bounds is beyond ``±allowance``."""
        return self.low > allowance or self.high < -allowance

    def within(self, allowance: float) -> bool:
        """Whether every offset within the bounds is within ``±allowance``."""
        return -allowance <= self.low and self.high <= allowance

    def meet(self, other: OffsetBounds) -> OffsetBounds | None:
        """The offsets both allow, or None if none."""
        low, high = max(self.low, other.low), min(self.high, other.high)
        return OffsetBounds(low, high) if low <= high else None


def offset_bounds(hub_time: int, sent: datetime, received: datetime) -> OffsetBounds:
    """The node clock's offset from the hub's, from one answer the hub signed at ``hub_time``
    (whole seconds of its clock) to a request sent at ``sent`` and answered at ``received``
    (the node's clock)."""
    if received < sent:
        raise ValueError("the answer was received before the request was sent")
    return OffsetBounds(sent.timestamp() - (hub_time + 1), received.timestamp() - hub_time)


@dataclass(frozen=True)
class Sample:
    """One signed answer of the hub, and when the node asked for it and heard it."""

    answer: SignedAnswer
    sent: datetime
    received: datetime

    @property
    def bounds(self) -> OffsetBounds:
        return offset_bounds(self.answer.time, self.sent, self.received)

    def evidence(self) -> dict[str, Any]:
        return {"answer": self.answer.to_json(), "sent_at": format_time(self.sent),
                "received_at": format_time(self.received)}


def combined(samples: Sequence[Sample]) -> tuple[OffsetBounds, list[Sample]]:
    """The bounds of ``samples`` (newest first) narrowed by one another, from the newest back
    to the first that does not meet those after it; and the samples they rest on."""
    if not samples:
        raise ValueError("no sample")
    bounds = samples[0].bounds
    used = [samples[0]]
    for sample in samples[1:]:
        narrower = bounds.meet(sample.bounds)
        if narrower is None:
            break
        bounds = narrower
        used.append(sample)
    return bounds, used


@dataclass(frozen=True)
class ClockState:
    """The node's clock as last judged, kept in its database (:data:`CLOCK`)."""

    ok: bool
    """Within the allowance; False while an episode of drift lasts."""
    low_s: float
    high_s: float
    allowance_s: int
    hub_time: datetime
    """The hub's signed time of the newest answer measured."""
    since: datetime | None = None
    """While the clock is off: the hub's time when the episode was first measured."""

    @property
    def bounds(self) -> OffsetBounds:
        return OffsetBounds(self.low_s, self.high_s)

    @property
    def offset_s(self) -> float:
        """The best guess of how far ahead of the hub's clock the node's is (behind: < 0)."""
        return round(self.bounds.estimate, 3)

    @property
    def ahead(self) -> bool:
        return self.bounds.estimate > 0

    @property
    def shown_offset(self) -> int:
        """How far off, in whole seconds, either way (what a person reads)."""
        return round(abs(self.bounds.estimate))

    def to_json(self) -> str:
        return json.dumps({
            "ok": self.ok, "low_s": self.low_s, "high_s": self.high_s,
            "allowance_s": self.allowance_s, "hub_time": format_time(self.hub_time),
            "since": None if self.since is None else format_time(self.since)},
            sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ClockState | None:
        """The state kept, or None if it does not read (judged again at the next round)."""
        try:
            data = json.loads(text)
            since = data.get("since")
            return cls(bool(data["ok"]), float(data["low_s"]), float(data["high_s"]),
                       int(data["allowance_s"]), parse_time(str(data["hub_time"])),
                       None if since is None else parse_time(str(since)))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def read_clock(repo: NodeRepository) -> ClockState | None:
    """The node's clock as last judged (None before the first measurement)."""
    text = repo.get_meta(CLOCK)
    return None if text is None else ClockState.from_json(text)


def drift_message(state: ClockState) -> str:
    """The alarm's message: by how much and which way, and what to do."""
    if state.ahead:
        text = N_("this node's clock is {offset} s ahead of the hub's (by the hub's signed "
                  "time {at}), more than the {allowance} s the regime allows: the hub refuses "
                  "what the node signs, and checkpoints seem dated wrongly. Set this machine's "
                  "clock right (turn on NTP time synchronisation); if it is right, the hub's "
                  "clock is wrong: tell the secretariat")
    else:
        text = N_("this node's clock is {offset} s behind the hub's (by the hub's signed "
                  "time {at}), more than the {allowance} s the regime allows: the hub refuses "
                  "what the node signs, and checkpoints seem dated wrongly. Set this machine's "
                  "clock right (turn on NTP time synchronisation); if it is right, the hub's "
                  "clock is wrong: tell the secretariat")
    return text.format(offset=state.shown_offset, at=format_time(state.hub_time),
                       allowance=state.allowance_s)


class ClockWatch:
    """Measures the node's clock against the hub's signed answers and judges it each round
    (see the module's notes). :meth:`observe` may be called from any thread; :meth:`judge`
    under the node's lock, by the sync round."""

    def __init__(self, core: NodeCore) -> None:
        self.core = core
        self._samples: deque[Sample] = deque(maxlen=KEPT_SAMPLES)
        self._fresh = False
        self._lock = threading.Lock()
        self._held: ClockState | None = None
        self._read = False

    @property
    def drifting(self) -> bool:
        """Whether the clock was last judged beyond the allowance (by this process)."""
        return self._held is not None and not self._held.ok

    def observe(self, answer: SignedAnswer | None, sent: datetime, received: datetime) -> None:
        """Keep the measurement one answer gives, if the log key signed it."""
        if answer is None or received < sent:
            return  # not signed, or the node's clock was set back while it waited
        try:
            answer.verify(self.core.log_key)
        except AnswerSignatureError as exc:
            log.warning("%s: not measuring the clock with an answer: %s", self.core.party,
                        exc.message)
            return
        with self._lock:
            self._samples.append(Sample(answer, sent, received))
            self._fresh = True

    def judge(self, report: SyncReport) -> ClockState | None:
        """Judge the clock by the measurements kept, if one came since the last judgement:
        the state decided, or None when nothing is decided."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            samples = list(reversed(self._samples))
        core = self.core
        bounds, used = combined(samples)
        allowance = core.regime.limits.clock_skew.total_seconds()
        if bounds.beyond(allowance):
            ok = False
        elif bounds.within(allowance):
            ok = True
        else:
            return None  # astride the allowance: a slow answer, or a clock near its edge
        if not self._read:  # then kept: only this round writes it
            with core.uow() as uow:
                self._held = read_clock(uow.repo)
            self._read = True
        held = self._held
        if held is not None and held.ok == ok and (
                round(held.bounds.least) == round(bounds.least)):
            return held  # as it was (to the second it is off at least): nothing to write
        ongoing = held is not None and not held.ok
        hub_time = datetime.fromtimestamp(used[0].answer.time, UTC)
        since: datetime | None = None
        if not ok:
            since = held.since if held is not None and ongoing else hub_time
        state = ClockState(ok, round(bounds.low, 3), round(bounds.high, 3), int(allowance),
                           hub_time, since)
        with core.uow() as uow:
            if not ok and not ongoing:
                message = drift_message(state)
                core.alarm(uow.repo, "clock_drift", message, {
                    "answers": [s.evidence() for s in used],
                    "offset_bounds_s": [state.low_s, state.high_s],
                    "allowance_s": state.allowance_s})
                report.alarms.append(f"clock_drift: {message}")
            elif ok and ongoing:
                log.info("%s: the node's clock is back within %s s of the hub's (off by %s s "
                         "at most)", core.party, int(allowance),
                         round(max(-bounds.low, bounds.high)))
            uow.repo.set_meta(CLOCK, state.to_json())
            uow.commit()
        self._held = state
        return state
