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


def test_slack_handlers_never_touch_storage() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "bot" / "handlers").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] == "storage"
    }
    assert not offenders, sorted(offenders)
