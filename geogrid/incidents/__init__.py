"""Incidents: cleaning on import, cells, counts and rates, density, hot spots.

Pure domain code: frames in, frames out; no file is read here (see
:mod:`geogrid.io.incidents`). An *incidents* frame is a GeoDataFrame in
EPSG:4326 with one Point per record and the columns of the ``incidents``
layer (``docs/LAYERS.md``): ``id`` (str), ``time`` (tz-aware
``Timestamp``), ``category`` (str) and optionally ``category_zh``,
``source``, ``description``, ``zone`` (the beat or neighbourhood the source
names), ``case_id`` (the case several offence records share),
``time_precision`` (minute/hour/day/month) and ``synthetic``.

One module per step of the pipeline
-----------------------------------
:mod:`~geogrid.incidents.mapping`
    :class:`IncidentMapping` says which source column is what and which
    coordinate system and time zone the source uses (stated, never guessed);
    :func:`clean_incidents` applies it to a raw table and splits good rows
    from rejects (row number, reason, detail); :func:`merge_incidents` adds
    new records by id, so importing the same file twice changes nothing.
:mod:`~geogrid.incidents.cases`
    Several offences of one case: :func:`case_records` (one record per
    case, its first), :func:`offence_records` (one per case and category),
    :func:`count_cases`; totals count distinct cases, a category the cases
    that include it.
:mod:`~geogrid.incidents.cells`
    :func:`assign_cells` (fast point-in-polygon), :func:`h3_cells`,
    :func:`hex_cells`, :func:`grid_cells`, :func:`tag_cells`.
:mod:`~geogrid.incidents.counts`
    :func:`summarize` counts by cell or parent (community, street), category
    and period with rates per 1,000 households; :func:`hour_by_weekday`;
    :func:`period_change` for period-over-period and year-over-year change
    ("同比下降13.24%").
:mod:`~geogrid.incidents.density`
    :func:`kernel_density` (Gaussian kernel in metres, Silverman's rule of
    thumb unless a bandwidth is given).
:mod:`~geogrid.incidents.hotspots`
    :func:`gi_star` (Getis-Ord Gi*, esda, Benjamini-Hochberg FDR);
    :func:`rank_hotspots`, the ranked list the patrol planner takes as stops.

The public release gate (``ReleaseRules``, ``release``, ``public_counts``)
is its own module, :mod:`geogrid.release`.
"""

from geogrid.incidents.cases import case_records, count_cases, has_cases, offence_records
from geogrid.incidents.cells import assign_cells, grid_cells, h3_cells, hex_cells, tag_cells
from geogrid.incidents.counts import hour_by_weekday, period_change, period_labels, summarize
from geogrid.incidents.density import kernel_density, silverman_bandwidth_m
from geogrid.incidents.hotspots import gi_star, rank_hotspots
from geogrid.incidents.mapping import (
    DEFAULT_TIMEZONE,
    REJECT_REASONS,
    Cleaned,
    IncidentMapping,
    clean_incidents,
    incidents_from_layer,
    incidents_to_layer,
    mapping_from_dict,
    merge_incidents,
)

__all__ = [
    "DEFAULT_TIMEZONE",
    "REJECT_REASONS",
    "Cleaned",
    "IncidentMapping",
    "assign_cells",
    "case_records",
    "clean_incidents",
    "count_cases",
    "gi_star",
    "grid_cells",
    "h3_cells",
    "has_cases",
    "hex_cells",
    "hour_by_weekday",
    "incidents_from_layer",
    "incidents_to_layer",
    "kernel_density",
    "mapping_from_dict",
    "merge_incidents",
    "offence_records",
    "period_change",
    "period_labels",
    "rank_hotspots",
    "silverman_bandwidth_m",
    "summarize",
    "tag_cells",
]
