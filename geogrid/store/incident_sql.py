"""Set-based SQL for the incidents in PostGIS: which grid covers each incident, monthly counts.

The rule (the store's, documented in :mod:`geogrid.store.postgis`): an incident gets
the code of the *first current grid in layer order that covers it* (``ST_Covers``:
a point on a grid's edge is covered by it, so a point on the border of two grids
goes to the one that comes first in the layer); no grid, no code (``NULL``).

How the rule is computed, for speed on millions of points:

* **All of an area's incidents** (a new grid version, an undo, a replaced layer)
  go grid by grid: for each grid, the GiST index on ``incidents.geom`` finds the
  points in its box and ``ST_Covers`` tests them against the one polygon
  (PostGIS keeps the polygon's edge index cached across the calls). One
  index probe per grid instead of one per incident: on the synthetic province
  (19,881 grids of about 7 vertices) the per-incident probe into the grids'
  index, not the point-in-polygon test, was the cost.
* Each incident is kept once, without sorting millions of rows: a grid is
  *alone* when no earlier grid's interior meets its interior (true of every
  grid of a partition); a point in the interior of an alone grid can be
  covered by no earlier grid, so it is kept at once, and only points on a grid's
  edge (or in grids that overlap earlier ones) look for an earlier grid that
  covers them (one probe of the grids' index each).
* Only rows whose code changes are written (a new grid version moves few), so
  a re-assignment does not rewrite every row and its index entries.
* **A batch of new incidents** (``ids``) goes the other way: each new point
  probes the grids' index, the first covering grid in layer order wins.
* **A bulk load** (:func:`assign_staged`) assigns the rows of a staging table
  with ``CREATE TABLE ... AS``, the one writing statement PostgreSQL runs with
  parallel workers (an ``UPDATE`` or ``INSERT ... SELECT`` never gets them; nor
  does a plan with a correlated subquery or a temporary table, so the grids and
  their ``alone`` go to a small table first and the rare rows on an edge are
  settled after), and :func:`insert_staged` moves the rows with their codes into
  ``incidents``.

In the store's ``UPDATE``, ``OFFSET 0`` keeps PostgreSQL from flattening the grids
and the per-grid point subqueries into one join (it would then probe the grids'
index once per point again and work out ``alone`` per point: 10x slower at 200k
points). The bulk statement needs no such fence: its grids are a small table.

Every statement here is plain text SQL with bound parameters; the table names
given to the bulk functions are the caller's own (checked to be identifiers).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from geogrid.errors import InputError

#: the area's current grids (``:area``) with their layer order, code and whether an earlier
#: grid's interior meets theirs (``alone`` false: such a grid's points look for earlier grids)
GRIDS_SQL = """
    SELECT f.ord, f.feature -> 'properties' ->> 'code' AS code, f.geom,
        NOT EXISTS (
            SELECT 1 FROM features AS h
            WHERE h.area_id = f.area_id AND h.layer = 'grids' AND h.ord < f.ord
                AND h.geom && f.geom AND ST_Relate(h.geom, f.geom, 'T********')
        ) AS alone
    FROM features AS f
    WHERE f.area_id = :area AND f.layer = 'grids' AND f.geom IS NOT NULL
    OFFSET 0
"""

#: true when no grid earlier than ``g`` covers the point ``{p}.geom`` (``{p}``: the point's alias)
_FIRST_COVER = """
    ((g.alone AND ST_Contains(g.geom, {p}.geom)) OR NOT EXISTS (
        SELECT 1 FROM features AS e
        WHERE e.area_id = :area AND e.layer = 'grids' AND e.ord < g.ord
            AND ST_Covers(e.geom, {p}.geom)))
"""

#: every incident of the area (``:area``) with the code of the first grid covering it, grid by
#: grid through the incidents' GiST index; incidents in no grid are not listed
HITS_ALL_SQL = f"""
    SELECT p.id, p.time, g.code
    FROM ({GRIDS_SQL}) AS g
    CROSS JOIN LATERAL (
        SELECT i.id, i.time, i.geom FROM incidents AS i
        WHERE i.area_id = :area AND ST_Covers(g.geom, i.geom)
        OFFSET 0
    ) AS p
    WHERE {_FIRST_COVER.format(p="p")}
"""  # noqa: S608 - constant SQL of this module

#: give every incident of the area the code of the first current grid (layer order) covering it
#: (``NULL`` when none); only rows whose code changes are written
ASSIGN_ALL_SQL = f"""
    WITH hit AS MATERIALIZED ({HITS_ALL_SQL})
    UPDATE incidents AS i SET grid = n.code
    FROM (
        SELECT a.id, a.time, hit.code FROM incidents AS a
        LEFT JOIN hit ON hit.id = a.id AND hit.time = a.time
        WHERE a.area_id = :area
    ) AS n
    WHERE i.area_id = :area AND i.id = n.id AND i.time = n.time
        AND i.grid IS DISTINCT FROM n.code
"""  # noqa: S608 - constant SQL of this module

#: the same for the incidents with the given ids (``:ids``) only: each probes the grids' index
ASSIGN_SOME_SQL = """
    WITH n AS (
        SELECT a.id, a.time, (
            SELECT f.feature -> 'properties' ->> 'code' FROM features AS f
            WHERE f.area_id = :area AND f.layer = 'grids' AND ST_Covers(f.geom, a.geom)
            ORDER BY f.ord LIMIT 1
        ) AS code
        FROM incidents AS a
        WHERE a.area_id = :area AND a.id = ANY(:ids)
    )
    UPDATE incidents AS i SET grid = n.code
    FROM n
    WHERE i.area_id = :area AND i.id = n.id AND i.time = n.time
        AND i.grid IS DISTINCT FROM n.code
"""

#: incidents per grid, local month and category of an area (``:area``, ``:tz`` an IANA zone),
#: in no particular order
MONTHLY_COUNTS_SQL = """
    SELECT grid, date_trunc('month', time AT TIME ZONE :tz)::date AS month, category,
        count(*) AS n
    FROM incidents
    WHERE area_id = :area AND grid IS NOT NULL
    GROUP BY 1, 2, 3
"""

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _table(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InputError(
            f"table name {name!r}: use lower-case letters, digits and '_' (at most 63), "
            "starting with a letter"
        )
    return name


def assign_grids(conn: Connection, area_id: int, ids: Sequence[str] | None = None) -> int:
    """Give incidents of the area the code of the first current grid (layer order) that covers
    them (``NULL`` when none), in the caller's transaction: all of them, or those with ``ids``.
    Returns how many rows changed."""
    if ids is None:
        result = conn.execute(text(ASSIGN_ALL_SQL), {"area": area_id})
    else:
        if not ids:
            return 0
        result = conn.execute(text(ASSIGN_SOME_SQL), {"area": area_id, "ids": list(ids)})
    return int(getattr(result, "rowcount", 0) or 0)


#: planner settings for the bulk assignment: the grids' table is small (a few MB, under
#: ``min_parallel_table_scan_size``), yet each grid is a lot of work (its points), so
#: PostgreSQL would not split the grids among workers by itself
PARALLEL_SETTINGS = (
    "SET LOCAL min_parallel_table_scan_size = 0",
    "SET LOCAL parallel_setup_cost = 100",
    "SET LOCAL parallel_tuple_cost = 0.01",
)


def staged_sql(staging: str, target: str) -> str:
    """The parallel ``CREATE TABLE ... AS`` of :func:`assign_staged`: every (row, covering grid)
    pair of ``staging``, over the grids table ``<target>_g`` made by :func:`assign_staged`;
    ``sure`` when the row is inside a grid no earlier grid overlaps (its only candidate)."""
    source, out, grids = _table(staging), _table(target), _table(f"{target}_g")
    return f"""
        CREATE UNLOGGED TABLE {out} AS
        SELECT p.id, p.time, p.category, g.ord, g.code,
            (g.alone AND ST_Contains(g.geom, p.geom)) AS sure
        FROM {grids} AS g
        CROSS JOIN LATERAL (
            SELECT s.id, s.time, s.category, s.geom FROM {source} AS s
            WHERE ST_Covers(g.geom, s.geom)
        ) AS p
    """  # noqa: S608 - table names checked by _table


def assign_staged(
    conn: Connection, area_id: int, staging: str, target: str, *, explain: bool = False
) -> list[str]:
    """Create the table ``target`` (unlogged) with the grid of every row of the table
    ``staging`` (columns ``id``, ``time``, ``category``, ``geom`` with a GiST index on
    ``geom``): ``id``, ``time``, ``category`` and the ``code`` (and ``ord``) of the first
    current grid of the area (layer order) covering the row; rows in no grid are left out.

    Three statements: the area's grids with ``alone`` into ``<target>_g`` (a real table:
    parallel workers cannot read temporary tables, nor run correlated subqueries); every
    covering pair by one ``CREATE TABLE ... AS`` that PostgreSQL runs on parallel workers
    (the grids split among them; :data:`PARALLEL_SETTINGS` for this transaction); then, only
    if some row is not ``sure`` (on an edge, or in overlapping grids), those rows' pairs after
    the first in layer order are deleted. With ``explain``, returns PostgreSQL's plan of the
    second statement (a ``Gather`` in it: parallel workers)."""
    _table(staging), _table(target)  # both checked before anything is made
    grids = _table(f"{target}_g")
    conn.execute(
        text(f"CREATE UNLOGGED TABLE {grids} AS {GRIDS_SQL}"),
        {"area": area_id},
    )
    conn.execute(text(f"ANALYZE {grids}"))
    for setting in PARALLEL_SETTINGS:
        conn.execute(text(setting))
    plan = (
        [str(r[0]) for r in conn.execute(text("EXPLAIN " + staged_sql(staging, target)))]
        if explain
        else []
    )
    conn.execute(text(staged_sql(staging, target)))
    out = _table(target)
    if conn.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {out} WHERE NOT sure)")):  # noqa: S608
        conn.execute(
            text(
                f"""
                DELETE FROM {out} AS c USING (
                    SELECT id, time, min(ord) AS first FROM {out}
                    WHERE (id, time) IN (SELECT id, time FROM {out} WHERE NOT sure)
                    GROUP BY id, time
                ) AS m
                WHERE c.id = m.id AND c.time = m.time AND c.ord > m.first
                """  # noqa: S608 - table names checked by _table
            )
        )
    conn.execute(text(f"DROP TABLE {grids}"))
    conn.execute(text(f"ANALYZE {out}"))  # for the counts and the insert that follow
    return plan


def insert_staged(conn: Connection, area_id: int, staging: str, codes: str) -> int:
    """Insert the rows of the table ``staging`` (the columns of ``incidents`` but ``area_id``
    and ``grid``) into ``incidents`` of the area, with the codes of :func:`assign_staged`'s
    table ``codes``. Returns the number of rows inserted."""
    source, hits = _table(staging), _table(codes)
    result = conn.execute(
        text(
            f"""
            INSERT INTO incidents (area_id, id, time, ord, category, grid, feature, geom)
            SELECT :area, s.id, s.time, s.ord, s.category, h.code, s.feature, s.geom
            FROM {source} AS s LEFT JOIN {hits} AS h ON h.id = s.id AND h.time = s.time
            """  # noqa: S608 - table names checked by _table
        ),
        {"area": area_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def monthly_counts(
    conn: Connection, area_id: int, tz: str, *, codes: str | None = None
) -> list[tuple[Any, ...]]:
    """``(grid, month, category, n)`` of the area's incidents in a grid, months in ``tz``; or,
    with ``codes``, of the rows of :func:`assign_staged`'s table (before they are inserted)."""
    query = MONTHLY_COUNTS_SQL
    if codes is not None:
        query = (
            query.replace("FROM incidents", f"FROM {_table(codes)}")
            .replace("WHERE area_id = :area AND grid IS NOT NULL", "WHERE CAST(:area AS int) > 0")
            .replace("SELECT grid,", "SELECT code AS grid,")
        )
    return [tuple(r) for r in conn.execute(text(query), {"area": area_id, "tz": tz})]
