"""Dependencies point one way: ``domain/`` imports neither Slack, SQL nor ``storage/``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_DOMAIN = ("storage", "bot", "cli", "slack_bolt", "slack_sdk", "sqlalchemy", "asyncpg", "sqlite3",
                       "aiohttp")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_imports_nothing_from_storage_slack_or_sql() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "domain").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN_IN_DOMAIN
    }
    assert not offenders, sorted(offenders)


WIRING = ROOT / "bot" / "app.py"  # builds storage and hands it to the domain; nothing else in bot/ may
STORAGE_CALLS = ("unit_of_work", "reader")  # opening a transaction
REPOSITORIES = ("requests", "jobs", "audit_log")  # ... or using one through a unit of work


def test_the_slack_side_never_touches_storage() -> None:
    """Only the wiring imports storage; no bot module opens a unit of work or calls a repository."""
    offenders: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        where = str(path.relative_to(ROOT))
        if path != WIRING:
            offenders |= {f"{where}: imports {name}" for name in imported_modules(path)
                          if name.split(".")[0] == "storage"}
        for node in ast.walk(ast.parse(path.read_text(), where)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in STORAGE_CALLS:
                offenders.add(f"{where}:{node.lineno}: calls .{node.func.attr}()")
            if isinstance(node, ast.Attribute) and node.attr in REPOSITORIES and \
                    isinstance(node.value, ast.Name) and node.value.id == "uow":
                offenders.add(f"{where}:{node.lineno}: uses uow.{node.attr}")
    assert not offenders, sorted(offenders)
