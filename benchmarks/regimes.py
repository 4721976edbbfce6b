"""Regimes for the benchmarks: the packaged Gulf regime with made-up states added.

The Gulf regime has 14 participating states; a benchmark that needs more senders or witnesses
adds states ``XAA``, ``XAB``… to a copy of it (and may set the witness quorum).
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from gulfsec.domain.regime import Regime, default_regime
from gulfsec.domain.regime.parse import parse_regime


def extra_state_codes(count: int) -> list[str]:
    """Made-up 3-letter state codes, XAA, XAB, …, for benchmark participants."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes = [f"X{a}{b}" for a in letters for b in letters]
    if count > len(codes):
        raise ValueError(f"at most {len(codes)} made-up states")
    return codes[:count]


def bench_regime_text(witnesses: int, quorum: int | None = None) -> str:
    """The packaged Gulf regime's text, with participating states added until it has
    ``witnesses`` witnesses, and the witness quorum set to ``quorum`` (if given)."""
    text = files("gulfsec").joinpath("regimes/gulf.toml").read_text(encoding="utf-8")
    have = len(default_regime().witnesses())
    extra = extra_state_codes(max(0, witnesses - have))
    if extra:
        blocks = "".join(
            f'[[participants]]\ncode = "{code}"\nname = "Benchmark State {code}"\n'
            f'kind = "state"\nstatus = "participating"\n\n'
            for code in extra
        )
        text, found = re.subn(r"^\[formats\]$", lambda m: blocks + m.group(0), text, count=1,
                              flags=re.MULTILINE)
        if found != 1:
            raise RuntimeError("gulf.toml has no [formats] table to add participants before")
    if quorum is not None:
        text, found = re.subn(r"(^\[witness\]$(?:\n(?!\[).*)*?\nquorum = )\d+",
                              lambda m: f"{m.group(1)}{quorum}", text, count=1,
                              flags=re.MULTILINE)
        if found != 1:
            raise RuntimeError("gulf.toml has no [witness] quorum to change")
    return text


def write_regime(path: Path, witnesses: int, quorum: int | None = None) -> Regime:
    """Write such a regime to ``path`` (checked first) and return it parsed."""
    text = bench_regime_text(witnesses, quorum)
    regime = parse_regime(text, str(path))
    if len(regime.witnesses()) < witnesses:
        raise RuntimeError(f"the regime has {len(regime.witnesses())} witnesses, not {witnesses}")
    path.write_text(text, encoding="utf-8")
    return regime
