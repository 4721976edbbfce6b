"""When an entry became final: the witness quorum over a chain of consistent checkpoints.

A witness cosigns a checkpoint only after checking it is consistent with every checkpoint it
cosigned before, so its cosignature on a checkpoint of size S vouches for every entry with an
index below S, as of the cosignature's timestamp. For one witness, the time it vouched for the
entry at index ``i`` is the earliest timestamp among its cosignatures on checkpoints larger than
``i``. The entry is final once ``quorum`` distinct witnesses have vouched for it; its finality
time is the quorum-th earliest of their times.

Counting a witness's later cosignature for earlier entries matters in practice: witnesses
cosign the newest checkpoint they see, and under steady traffic few checkpoints collect a whole
quorum on their own (DESIGN.md §4 speaks of "the first checkpoint that includes it"; this is the
same rule, with consistency carrying a cosignature back to the checkpoints it extends).
"""

from __future__ import annotations

from array import array
from bisect import bisect_right


class _Witness:
    """One witness's cosignatures: sizes ascending, with suffix minima of their timestamps.

    Only cosignatures that say something are kept: one on a smaller tree whose time is no
    earlier than a later one's vouches for nothing the later one does not (under steady
    traffic, the several checkpoints a witness cosigns within one second of the timestamps),
    so a witness keeps at most one cosignature a second, in machine integers, and the memory
    stays flat however long the log runs.
    """

    __slots__ = ("sizes", "suffix_min", "times")

    def __init__(self) -> None:
        self.sizes = array("q")
        self.times = array("q")
        self.suffix_min = array("q")

    def add(self, size: int, timestamp: int) -> bool:
        sizes, times, suffix_min = self.sizes, self.times, self.suffix_min
        at = bisect_right(sizes, size)
        if at and sizes[at - 1] == size:
            if timestamp >= times[at - 1]:
                return False
            at -= 1
            del sizes[at], times[at], suffix_min[at]
        if at < len(sizes) and suffix_min[at] <= timestamp:
            return False  # a cosignature on a larger tree vouched as early: nothing new
        sizes.insert(at, size)
        times.insert(at, timestamp)
        suffix_min.insert(at, timestamp)
        # Restore the suffix minima from the insertion point down (usually one step: new
        # cosignatures come last and latest).
        for j in range(at - 1, -1, -1):
            best = min(times[j], suffix_min[j + 1])
            if suffix_min[j] == best:
                break
            suffix_min[j] = best
        # Those just below that the new one makes say nothing any more (never others: they
        # would have said nothing before it either, and were not kept).
        j = at - 1
        while j >= 0 and times[j] >= suffix_min[j + 1]:
            del sizes[j], times[j], suffix_min[j]
            j -= 1
        return True

    def vouched_at(self, index: int) -> int | None:
        """Earliest timestamp of a cosignature on a checkpoint larger than ``index``."""
        at = bisect_right(self.sizes, index)
        return self.suffix_min[at] if at < len(self.sizes) else None

    @property
    def largest(self) -> int:
        return self.sizes[-1] if self.sizes else 0


class WitnessFinality:
    """Finality of every log index from verified cosignatures (timestamps in seconds)."""

    def __init__(self, quorum: int) -> None:
        if quorum < 1:
            raise ValueError("the witness quorum must be at least 1")
        self.quorum = quorum
        self._witnesses: dict[str, _Witness] = {}
        self._final_size = 0

    def add(self, witness: str, size: int, timestamp: int) -> bool:
        """Record a verified cosignature; False if it changes nothing."""
        changed = self._witnesses.setdefault(witness, _Witness()).add(size, timestamp)
        if changed:
            largest = sorted((w.largest for w in self._witnesses.values()), reverse=True)
            self._final_size = largest[self.quorum - 1] if len(largest) >= self.quorum else 0
        return changed

    @property
    def final_size(self) -> int:
        """Every entry with an index below this is final."""
        return self._final_size

    def final_at(self, index: int) -> int | None:
        """The finality time of the entry at ``index`` (seconds), or None if not final."""
        if index >= self._final_size:
            return None
        times = sorted(t for w in self._witnesses.values()
                       if (t := w.vouched_at(index)) is not None)
        return times[self.quorum - 1] if len(times) >= self.quorum else None

    def vouchers(self, index: int) -> dict[str, int]:
        """Each witness that vouched for the entry at ``index``, with when."""
        return {name: t for name, w in self._witnesses.items()
                if (t := w.vouched_at(index)) is not None}
