"""Architecture: the import-linter contracts in pyproject.toml hold.

geogrid never imports flask, folium or webmap; inside geogrid dependencies run
cli -> services -> io -> domain -> crs -> errors; only the solver adapter
(geogrid/planning/solvers/) imports ortools or numba.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """lint-imports exits 0 on the repository's own contracts."""
    importlinter_cli = pytest.importorskip("importlinter.cli")
    monkeypatch.chdir(ROOT)
    assert importlinter_cli.lint_imports(no_cache=True, no_logo=True) == 0


def test_one_test_module_per_source_module() -> None:
    """Every geogrid source module has its own test module (tests/test_<path>.py)."""
    missing = []
    for src in sorted((ROOT / "geogrid").rglob("*.py")):
        rel = src.relative_to(ROOT / "geogrid")
        if src.name in ("__init__.py", "__main__.py"):
            continue
        name = "test_" + "_".join(rel.with_suffix("").parts) + ".py"
        if not (ROOT / "tests" / name).exists():
            missing.append(f"geogrid/{rel} -> tests/{name}")
    assert not missing, "source modules without a test module:\n" + "\n".join(missing)


def test_only_the_solver_adapter_imports_ortools() -> None:
    """No geogrid module outside geogrid/planning/solvers/ imports ortools or numba."""
    solvers = ROOT / "geogrid" / "planning" / "solvers"
    offenders = []
    for src in sorted((ROOT / "geogrid").rglob("*.py")):
        if src.is_relative_to(solvers):
            continue
        text = src.read_text(encoding="utf-8")
        if any(
            f"{how} {pkg}" in text for how in ("import", "from") for pkg in ("ortools", "numba")
        ):
            offenders.append(str(src.relative_to(ROOT)))
    assert not offenders, f"ortools or numba imported outside the solver adapter: {offenders}"
