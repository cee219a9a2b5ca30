"""Incidents, cases: several offences of one case counted once.

Police exports list one row per offence, so one case (案件) can be several
records of the incidents frame, one per offence category, sharing a
``case_id``. Totals and rates count DISTINCT cases; a figure of one category
counts the cases that include it, so the categories of a place can add up to
more than its total. A case is placed and dated by its first record (earliest
time, then the order of the frame), so the cases of the places of an area, or
of the months of a year, add up to the area's or the year's cases.

Records without a ``case_id`` (sources that list one row per incident) are a
case each, as before.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

Frame = TypeVar("Frame", bound=pd.DataFrame)

#: The column naming the case a record belongs to (absent: every record is its own case).
CASE_COLUMN = "case_id"


def case_keys(incidents: pd.DataFrame) -> pd.Series:
    """The case of each record: its ``case_id``; a record without one is a case of its
    own (keyed by its position, so records are never merged by their ids)."""
    own = pd.Series(
        [f"\x00{i}" for i in range(len(incidents))], index=incidents.index, dtype="string"
    )
    if CASE_COLUMN not in incidents.columns:
        return own
    case = incidents[CASE_COLUMN].astype("string").str.strip()
    keys: pd.Series = case.mask(case.isna() | (case == ""), own)
    return keys


def has_cases(incidents: pd.DataFrame) -> bool:
    """True when some case holds more than one record (several offences in one case)."""
    if CASE_COLUMN not in incidents.columns or len(incidents) == 0:
        return False
    return bool(case_keys(incidents).duplicated().any())


def first_of_case(incidents: pd.DataFrame) -> np.ndarray:
    """Boolean mask: True on the first record of each case (earliest ``time``, then the
    order of the frame), the record that places and dates the case."""
    n = len(incidents)
    if n == 0:
        return np.zeros(0, dtype=bool)
    keys = case_keys(incidents).to_numpy(dtype=object)
    order = np.arange(n)
    if "time" in incidents.columns:
        times = pd.Series(incidents["time"]).reset_index(drop=True)
        # NaT last; stable, so ties keep the frame's order
        rank = times.rank(method="first", na_option="bottom").to_numpy()
        order = np.argsort(rank, kind="stable")
    seen = pd.Series(keys[order]).duplicated(keep="first").to_numpy()
    mask = np.zeros(n, dtype=bool)
    mask[order[~seen]] = True
    return mask


def case_records(incidents: Frame) -> Frame:
    """One record per case (see :func:`first_of_case`), in the frame's order."""
    picked: Frame = incidents[first_of_case(incidents)]
    return picked


def offence_records(incidents: Frame) -> Frame:
    """One record per (case, category): what a figure of one category counts (a frame
    without ``case_id`` is returned as it is)."""
    if CASE_COLUMN not in incidents.columns or len(incidents) == 0:
        return incidents
    keys = pd.DataFrame(
        {
            "case": case_keys(incidents).to_numpy(),
            "category": incidents["category"].astype("string").to_numpy(),
        }
    )
    picked: Frame = incidents[~keys.duplicated().to_numpy()]
    return picked


def count_cases(incidents: pd.DataFrame) -> int:
    """The number of distinct cases."""
    return int(case_keys(incidents).nunique()) if len(incidents) else 0
