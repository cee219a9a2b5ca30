"""IO shell: every file read and write in geogrid lives in this package."""
