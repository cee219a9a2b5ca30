"""Sign-in throttle: exponential back-off per (client address, user) and per address.

Failed sign-ins are counted in a small SQLite file (``THROTTLE_PATH``,
default ``throttle.sqlite3`` next to the users file, i.e. in the instance
folder), so every worker process of one server shares the counts. Each
attempt is *charged before the password is checked*, inside one
``BEGIN IMMEDIATE`` transaction (SQLite's write lock): a burst of parallel
guesses, spread over any number of workers, is counted one by one and the
ones past the limit are refused. A right password refunds its charge.

The limits are waits, not locks: ``free`` attempts go through at once, then
a key waits ``base_s * 2 ** (failures - free)`` seconds (capped) after its
last failure before the next attempt, so guessing slows
down exponentially while the owner, who signs in from another address, is
never locked out by a stranger. Keys:

* ``pair:<address>|<user>``: 5 free attempts, then 1 s, 2 s, 4 s ... up to 15 minutes;
* ``addr:<address>``: 20 free attempts (over all user names, known or not), then
  1 s, 2 s ... up to one hour, so spreading guesses over accounts is slowed too.

A key is forgotten ``FORGET_S`` (a day) after its last failure.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

FORGET_S = 24 * 3600


@dataclass(frozen=True)
class Limit:
    """Back-off of one kind of key: attempts let through at once, first wait, longest wait."""

    free: int
    base_s: float
    cap_s: float

    def wait_s(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures before the next attempt (0 while free)."""
        if failures < self.free:
            return 0.0
        return min(self.cap_s, self.base_s * 2.0 ** min(failures - self.free, 40))


PAIR = Limit(free=5, base_s=1.0, cap_s=15 * 60)
ADDRESS = Limit(free=20, base_s=1.0, cap_s=3600)


class Throttle:
    """The failure counts of one SQLite file (safe across threads and processes)."""

    def __init__(
        self,
        path: Path | str,
        clock: Callable[[], float] = time.time,
        pair: Limit = PAIR,
        address: Limit = ADDRESS,
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.limits = {"pair": pair, "addr": address}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS failures ("
                "key TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL)"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")  # the write lock first: check and charge are one step
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def keys(address: str, username: str) -> dict[str, str]:
        return {"pair": f"pair:{address}|{username.casefold()}", "addr": f"addr:{address}"}

    def _count(self, db: sqlite3.Connection, key: str, now: float) -> tuple[int, float]:
        row = db.execute("SELECT count, last FROM failures WHERE key = ?", (key,)).fetchone()
        if row is None or now - row[1] > FORGET_S:
            return 0, now
        return int(row[0]), float(row[1])

    def attempt(self, address: str, username: str) -> int:
        """Charge one attempt; 0 when it may go on, else the seconds to wait (nothing charged)."""
        now = self.clock()
        keys = self.keys(address, username)
        with self._transaction() as db:
            counts = {kind: self._count(db, key, now) for kind, key in keys.items()}
            wait = max(
                last + self.limits[kind].wait_s(count) - now
                for kind, (count, last) in counts.items()
            )
            if wait > 0:
                return max(1, math.ceil(wait))
            for kind, key in keys.items():
                db.execute(
                    "INSERT OR REPLACE INTO failures (key, count, last) VALUES (?, ?, ?)",
                    (key, counts[kind][0] + 1, now),
                )
        return 0

    def succeeded(self, address: str, username: str) -> None:
        """The password was right: forget the pair's failures and refund the address's charge."""
        keys = self.keys(address, username)
        with self._transaction() as db:
            db.execute("DELETE FROM failures WHERE key = ?", (keys["pair"],))
            db.execute(
                "UPDATE failures SET count = MAX(count - 1, 0) WHERE key = ?", (keys["addr"],)
            )

    def forget_old(self) -> None:
        """Drop keys whose last failure is older than FORGET_S."""
        with self._transaction() as db:
            db.execute("DELETE FROM failures WHERE last < ?", (self.clock() - FORGET_S,))
