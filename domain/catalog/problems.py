"""The error type every catalog mistake is reported through, rendered like compiler output."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a catalog file, pinned to a line so editors and CI logs can jump to it.

    ``line`` is 1-based; 0 means the problem concerns the file as a whole (e.g. it is missing).
    ``path`` is the dotted location inside the document ("" for the document itself).
    """

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}:{self.line}" if self.line else self.file
        return f"{location}: {self.path}: {self.message}" if self.path else f"{location}: {self.message}"


class CatalogError(Exception):
    """Raised with every problem found, so service owners can fix a catalog in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))

    def __str__(self) -> str:
        return "\n".join(map(str, self.problems))
