"""Flask blueprints, one module per audience: thin views that parse, call geogrid, render."""
