"""The service catalog: which actions people can request, with what fields, approved by whom."""

from __future__ import annotations

from domain.catalog.fields import Field, FieldType
from domain.catalog.identifiers import RESERVED_SUBCOMMANDS
from domain.catalog.loader import load_catalog, parse_catalog
from domain.catalog.model import Action, ApprovalStep, Catalog, Role, Settings
from domain.catalog.problems import CatalogError, Problem

__all__ = [
    "RESERVED_SUBCOMMANDS",
    "Action",
    "ApprovalStep",
    "Catalog",
    "CatalogError",
    "Field",
    "FieldType",
    "Problem",
    "Role",
    "Settings",
    "load_catalog",
    "parse_catalog",
]
