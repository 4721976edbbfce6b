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

from bisect import bisect_right


class _Witness:
    """One witness's cosignatures: sizes ascending, with suffix minima of their timestamps."""

    __slots__ = ("sizes", "times", "suffix_min")

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.times: list[int] = []
        self.suffix_min: list[int] = []

    def add(self, size: int, timestamp: int) -> bool:
        at = bisect_right(self.sizes, size)
        if at and self.sizes[at - 1] == size:
            if timestamp >= self.times[at - 1]:
                return False
            at -= 1
            del self.sizes[at], self.times[at], self.suffix_min[at]
        self.sizes.insert(at, size)
        self.times.insert(at, timestamp)
        self.suffix_min.insert(at, timestamp)
        # Restore the suffix minima from the insertion point down (usually one step: new
        # cosignatures come last and latest).
        for j in range(min(at + 1, len(self.sizes) - 1), -1, -1):
            later = self.suffix_min[j + 1] if j + 1 < len(self.sizes) else None
            best = self.times[j] if later is None else min(self.times[j], later)
            if self.suffix_min[j] == best and j < at:
                break
            self.suffix_min[j] = best
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
