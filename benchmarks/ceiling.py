"""The real ceiling of this machine: Ed25519 verifications per second, every library, every core.

Every gulfsec figure that is bound by signature checks is reported against the **best** rate
measured here on all cores. Measured in the same run as the figures they bound:

- ``cryptography`` (OpenSSL) and PyNaCl (libsodium, what gulfsec verifies with);
- on one thread, on one thread per core, and on one process per core (for a library that held
  the GIL, processes would be its all-cores figure).

    python benchmarks/ceiling.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from gulfsec.adapters.cores import count

MESSAGE_BYTES = 400
"""About the size of what an entry's signature covers."""


def _cryptography_loop(n: int) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = os.urandom(MESSAGE_BYTES)
    sig = key.sign(message)
    for _ in range(n):
        public.verify(sig, message)


def _pynacl_loop(n: int) -> None:
    from nacl.signing import SigningKey

    key = SigningKey.generate()
    verify = key.verify_key.verify
    message = os.urandom(MESSAGE_BYTES)
    sig = key.sign(message).signature
    for _ in range(n):
        verify(message, sig)


LIBRARIES: dict[str, Callable[[int], None]] = {
    "cryptography": _cryptography_loop,
    "pynacl": _pynacl_loop,
}


@dataclass(frozen=True)
class Ceiling:
    rates: dict[tuple[str, str], float]
    """(library, how) -> verifications per second."""
    cores: int

    @property
    def best(self) -> float:
        """The best all-cores rate of any library: what every figure is a ratio of."""
        return max(rate for (_lib, how), rate in self.rates.items() if how != "1 thread")

    @property
    def best_label(self) -> str:
        lib, how = max((k for k in self.rates if k[1] != "1 thread"), key=self.rates.__getitem__)
        return f"{lib}, {how}"

    def one_verify_s(self, library: str = "pynacl") -> float:
        """CPU seconds of one verification with ``library`` on one thread: the unit of the
        hub's CPU per entry."""
        return 1 / self.rates[(library, "1 thread")]

    def lines(self) -> list[str]:
        out = []
        for (lib, how), rate in self.rates.items():
            mark = "   <- the ceiling" if rate == self.best else ""
            out.append(f"Ed25519 verify, {lib:12} {how:18} {rate:10,.0f} /s{mark}")
        return out


def measured(echo: Callable[[str], None] = print) -> Ceiling:
    """Measure the ceiling and print it, with the unit the CPU-per-entry figures use."""
    ceiling = measure()
    for line in ceiling.lines():
        echo(line)
    echo(f"(ceiling: {ceiling.best_label}; CPU per entry below is in verifications with "
         f"pynacl on one thread, {ceiling.one_verify_s() * 1e6:.0f} µs each)")
    return ceiling


def _rate(loop: Callable[[int], None], n: int, workers: int, pool: type[Executor]) -> float:
    with pool(max_workers=workers) as executor:
        list(executor.map(loop, [200] * workers))  # warm: imports, keys, processes
        start = time.perf_counter()
        list(executor.map(loop, [n] * workers))
        return n * workers / (time.perf_counter() - start)


def measure(n: int = 20_000) -> Ceiling:
    cores = count()
    rates: dict[tuple[str, str], float] = {}
    for lib, loop in LIBRARIES.items():
        rates[(lib, "1 thread")] = _rate(loop, n, 1, ThreadPoolExecutor)
        rates[(lib, f"{cores} threads")] = _rate(loop, n, cores, ThreadPoolExecutor)
        rates[(lib, f"{cores} processes")] = _rate(loop, n, cores, ProcessPoolExecutor)
    return Ceiling(rates, cores)


def main() -> None:
    ceiling = measure()
    for line in ceiling.lines():
        print(line)


if __name__ == "__main__":
    main()
