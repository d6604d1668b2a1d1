"""The ``${VAR}``s a catalog's webhooks read, and which of them the environment lacks.

``selfserve check`` reports an unset one as a *warning*, not a problem: the environment it runs in
(a laptop, CI) is rarely the one the bot runs in, so a missing value there says little, and a
catalog must not be refused for it. Where the bot runs, a step that finds its variable unset
fails with that said (and support can retry it once it is set).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from domain.catalog.model import Catalog
from domain.catalog.source import Path, read_source, render_path
from domain.catalog.template_check import templates_of
from domain.templating import SECRET_REF


@dataclass(frozen=True)
class CatalogWarning:
    """Something worth a look that does not make the catalog wrong; printed like a ``Problem``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: warning: {self.message}"


def variable_uses(catalog: Catalog) -> Iterator[tuple[Path, str]]:
    """Each ``${VAR}`` of every step: where it is written (a catalog path) and its name."""
    for action_id, action in catalog.actions.items():
        spec = action.fulfilment
        for phase in ("on_approved", "on_expired"):
            for index, step in enumerate(getattr(spec, phase)):
                for path, source, _mode in templates_of(step):
                    for match in SECRET_REF.finditer(source if isinstance(source, str) else ""):
                        yield ("actions", action_id, phase, index, *path), match[1]


def unset_variables(catalog: Catalog, text: str, filename: str, environ: Mapping[str, str]) -> list[CatalogWarning]:
    """A warning for each ``${VAR}`` (at each place it is used) that ``environ`` lacks or has empty."""
    source = read_source(text, filename)
    return [CatalogWarning(filename, source.line_of(path), render_path(path),
                    f"${{{name}}} is not set in this environment (it is read when the step runs: set it "
                    "where selfserve runs)")
            for path, name in variable_uses(catalog) if not environ.get(name)]
