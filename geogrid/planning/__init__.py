"""Patrol planning, one module per step of its pipeline.

* ``config``: :class:`PatrolConfig`, which stops a plan wants and the solver's budget;
* ``problem``: teams, stops and the compiled :class:`PatrolProblem` (no solver);
* ``plan``: plans, their schedule and the independent checker (no solver);
* ``workload``: fair shares between teams and extra passes for spare time (no solver);
* ``solve``: :func:`solve_patrol`, the only module that drives ``solvers``;
* ``coverage``: service areas, coverage shares and post siting (MCLP);
* ``solvers/``: the only code that imports ``ortools`` or ``numba``
  (routing, covering, the compiled searches and their drivers; numbers only).

This file imports nothing, so ``import geogrid.planning.problem`` never
pulls in a solver.
"""
