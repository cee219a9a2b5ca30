"""Seeded random streams for the compiled searches (:mod:`.ils`, :mod:`.sisr`).

The kernels draw from an explicit :class:`numpy.random.Generator` handed to
them (numba compiles Generator arguments), never from a global state. The
generator's bit generator is MT19937 seeded as the legacy
``np.random.seed(int)`` seeds it (Knuth's initialisation of the Mersenne
Twister key), ``Generator.random`` turns two 32-bit outputs into a double the
legacy way, and :func:`below` draws bounded integers by masked rejection on
32-bit outputs as the legacy ``randint`` does. So a seed gives the same plans
as when the kernels drew from numba's legacy ``np.random`` state.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MT_N = 624  # words in the Mersenne Twister key
_MASK32 = 0xFFFFFFFF


def generator(seed: int) -> np.random.Generator:
    """A generator on MT19937 seeded like the legacy ``np.random.seed(seed)`` (seed mod 2**32)."""
    key = np.empty(_MT_N, dtype=np.uint32)
    x = seed & _MASK32
    for i in range(_MT_N):
        key[i] = x
        x = (1812433253 * (x ^ (x >> 30)) + i + 1) & _MASK32
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _MT_N}}
    return np.random.Generator(bits)


@njit(cache=True)
def below(rng: np.random.Generator, n: int) -> int:
    """A uniform integer in ``[0, n)`` (n < 2**32): masked rejection on 32-bit draws.

    The legacy ``randint(n)`` stream: no draw when ``n <= 1``; otherwise the
    low bits of each 32-bit output under the smallest all-ones mask covering
    ``n - 1``, drawn again while the value is ``n`` or more.
    """
    if n <= 1:
        return 0
    mask = n - 1
    mask |= mask >> 1
    mask |= mask >> 2
    mask |= mask >> 4
    mask |= mask >> 8
    mask |= mask >> 16
    while True:
        value = int(rng.integers(0, 1 << 32, dtype=np.uint32)) & mask
        if value < n:
            return value


class Stream:
    """A module's default generator: what its kernels draw from when a caller gives none."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = generator(seed)

    def seed(self, value: int) -> None:
        """Restart the stream from ``value``."""
        self.rng = generator(value)

    def pick(self, rng: np.random.Generator | None) -> np.random.Generator:
        """``rng`` when given, else this stream."""
        return self.rng if rng is None else rng
