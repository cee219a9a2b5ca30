"""Micro-grids of an area: build them inside the current grids, check them, count them.

``geogrid grids micro`` calls :func:`build_micro`: the area's grids and
buildings (and optionally the register's entrances, CSV/Excel through
:mod:`geogrid.io.sheets`) -> :func:`geogrid.grids.micro.build_micro_grids` ->
``micro_grids.geojson`` written by the area's writer (history kept), with
the independent check's problems. Leaders of unchanged micro-grids are kept.
With ``GEOGRID_STORE=postgresql://...`` the area is the database's
(:class:`~geogrid.store.access.AreaAccess`; the layer written in one transaction).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd

from geogrid.grids.checks import GridProblem
from geogrid.grids.micro import (
    ADDRESS_OVER_BAND,
    DEFAULT_MICRO_BAND,
    build_micro_grids,
    check_micro_grids,
    entrance_table,
    summarize_problems,
)
from geogrid.grids.model import Band
from geogrid.io.sheets import read_sheet
from geogrid.services.grids import repair_interrupted_save
from geogrid.store.access import AreaAccess
from geogrid.store.base import AreaRef

#: Notes listed in the report unless every one is asked for.
MAX_NOTES_SHOWN = 5
#: Words of the note on a building or spot over the band without entrances (one per address).
BY_HAND_NOTE = "it is a micro-grid of its own: split by entrance/floor by hand"


@dataclass
class MicroRun:
    """What ``geogrid grids micro`` did: the micro-grids, notes, check problems, the file."""

    micro_grids: gpd.GeoDataFrame
    band: Band
    notes: list[str] = field(default_factory=list)
    problems: list[GridProblem] = field(default_factory=list)
    written: Path | str | None = None  #: the file, or the database layer

    @property
    def addresses_over_band(self) -> int:
        """Micro-grids that are one address holding more than the band."""
        return sum(p.kind == ADDRESS_OVER_BAND for p in self.problems)

    def lines(self, *, every: bool = False) -> list[str]:
        """The report: micro-grids per grid, then problems summarised by kind (each kind's
        count, what to do, a few examples) and the first notes; ``every``: all of them."""
        counts = self.micro_grids.groupby("grid_code").size() if len(self.micro_grids) else {}
        out = [
            f"{len(self.micro_grids)} micro-grids (band {self.band} households) in "
            f"{len(counts)} grids"
        ]
        out += [f"  grid {code}: {n} micro-grids" for code, n in sorted(dict(counts).items())]
        by_hand = (
            int(self.micro_grids["split_by_hand"].fillna(False).astype(bool).sum())
            if len(self.micro_grids)
            else 0
        )
        if by_hand:
            out.append(
                f"{by_hand} addresses (buildings or entrances) alone hold more than the band "
                f"{self.band}: split each by entrance/unit (单元) in the register (--entrances "
                "FILE) or keep it as a micro-grid of its own with more than one responsible "
                "person"
            )
        notes = self.notes
        if not every:  # the addresses over the band are counted above and among the problems
            notes = [n for n in notes if BY_HAND_NOTE not in n]
        shown = notes if every else notes[:MAX_NOTES_SHOWN]
        out += [f"note: {n}" for n in shown]
        if len(shown) < len(notes):
            out.append(f"... and {len(notes) - len(shown)} more notes (--all lists them)")
        if every:
            out += [str(p) for p in self.problems]
        elif self.problems:
            out.append(f"{len(self.problems)} problem(s) by kind:")
            out += [f"  {line}" for line in summarize_problems(self.problems)]
            out.append("  (--all or geogrid grids micro-check lists every one)")
        out.append(f"{len(self.problems)} problem(s)")
        out.append(f"wrote {self.written}" if self.written else "nothing written (dry run)")
        return out


def build_micro(
    area_dir: AreaRef,
    *,
    band: Band = DEFAULT_MICRO_BAND,
    entrances_path: Path | str | None = None,
    seed: int = 0,
    dry_run: bool = False,
    author: str = "geogrid grids micro",
    message: str | None = None,
) -> MicroRun:
    """Cut every grid of the area into micro-grids and write ``micro_grids.geojson``."""
    ws = AreaAccess.of(area_dir)
    entrances = None
    if entrances_path is not None:
        sheet = read_sheet(entrances_path)
        entrances = entrance_table(sheet.table, sheet.where)
    with ws.lock():
        if not dry_run and ws.folder is not None:
            repair_interrupted_save(ws.folder)
        area = ws.read(with_network=False)
        previous = ws.read_layer("micro_grids")
        plan = build_micro_grids(
            area.grids,
            area.buildings,
            area.metric_crs,
            band=band,
            entrances=entrances,
            previous=previous,
            seed=seed,
        )
        problems = check_micro_grids(
            plan.micro_grids, area.grids, area.buildings, area.metric_crs, band=band
        )
        written = None
        if not dry_run:
            written = ws.write_layer(
                "micro_grids",
                plan.micro_grids,
                author=author,
                message=message or f"{len(plan.micro_grids)} micro-grids, band {band}",
            )
    return MicroRun(plan.micro_grids, band, plan.problems, problems, written)


def validate_micro(
    area_dir: AreaRef, *, band: Band = DEFAULT_MICRO_BAND, require_leader: bool = False
) -> list[GridProblem]:
    """Every problem of the area's micro-grids against its grids and buildings."""
    ws = AreaAccess.of(area_dir)
    area = ws.read(with_network=False)
    micro = ws.read_layer("micro_grids", required=True)
    assert micro is not None
    return check_micro_grids(
        micro, area.grids, area.buildings, area.metric_crs, band=band, require_leader=require_leader
    )
