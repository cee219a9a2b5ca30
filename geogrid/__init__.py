"""geogrid: community-safety grid mapping and volunteer patrol planning.

The package is a functional core (``network``, ``buildings``, ``places``,
``layers``, ``synthetic``) with an IO shell (``geogrid.io``), services that
orchestrate both (``geogrid.services``) and a click CLI (``geogrid.cli``).
"""

__version__ = "0.1.0"
