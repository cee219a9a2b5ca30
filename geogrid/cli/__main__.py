"""``python -m geogrid.cli``."""

from geogrid.cli import main

main()
