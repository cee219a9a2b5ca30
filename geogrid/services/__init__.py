"""Services orchestrate IO and the domain modules (build an area, the demo, ...)."""
