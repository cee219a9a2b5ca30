"""The optimisers: the only geogrid modules that import ``ortools`` or ``numba``.

They see numbers only (STYLE: geometry -> matrix -> model):

* ``routing``: vehicle routing on OR-Tools from one frozen ``RoutingArrays``;
* ``covering``: maximal covering location (MCLP) as a MIP;
* ``search``: drivers of the compiled searches, CP-SAT set packing of routes;
* ``ils``: team-orienteering iterated local search (numba);
* ``sisr``: ruin and recreate where every stop is required (numba).
* ``prize_tw``: prize-collecting ruin and recreate with windows, dwell, revisit gaps,
  team masks, per-team matrices and capacities (numba), with its driver;
* ``streams``: the seeded random generators the compiled searches draw from.
"""
