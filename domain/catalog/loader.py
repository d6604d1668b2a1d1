"""Entry points: read a catalog file and return it validated, or raise with every problem."""

from __future__ import annotations

import hashlib
import os

from pydantic import ValidationError

from domain.catalog.messages import located_message
from domain.catalog.model import Catalog, CatalogDocument
from domain.catalog.problems import CatalogError, Problem
from domain.catalog.references import RoleIndex
from domain.catalog.source import Source, read_source


def load_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Read and validate the catalog at ``path``; problems name the file as given."""
    filename = os.fspath(path)
    try:
        with open(filename, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        raise CatalogError([Problem(filename, 0, "", f"cannot read file ({error.strerror})")]) from None
    except UnicodeDecodeError:
        raise CatalogError([Problem(filename, 0, "", "cannot read file (not valid UTF-8)")]) from None
    return parse_catalog(text, filename)


def parse_catalog(text: str, filename: str = "catalog.yaml") -> Catalog:
    """Validate catalog YAML, collecting all problems (sorted by line) before raising."""
    source = read_source(text, filename)
    if source.data is None and not source.problems:
        source.report((), "the file is empty (a catalog needs 'roles' and 'actions')")
    document = _validate(source) if source.data is not None else None
    problems = sorted(dict.fromkeys(source.problems), key=lambda problem: problem.line)
    if problems or document is None:
        raise CatalogError(problems)
    return Catalog.from_document(document, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _validate(source: Source) -> CatalogDocument | None:
    """Check the schema and cross-references in one pass; problems are added to ``source``."""
    try:
        return CatalogDocument.model_validate(source.data, context=RoleIndex.from_document(source.data))
    except ValidationError as error:
        for details in error.errors(include_url=False):
            path, message = located_message(details, CatalogDocument)
            source.report(path, message)
        return None
