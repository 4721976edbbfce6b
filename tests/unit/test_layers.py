"""The pure core stays pure: ``gulfsec.domain`` and ``gulfsec.ledger`` import no web framework,
database, template engine, HTTP client or server, and nothing from the outer layers.

The check reads the source with ``ast`` (no import happens), so it sees imports inside functions
and behind ``TYPE_CHECKING`` as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gulfsec

PACKAGE = Path(gulfsec.__file__).parent
PURE = ("domain", "ledger")
FORBIDDEN = frozenset({"fastapi", "starlette", "sqlalchemy", "jinja2", "httpx", "uvicorn"})
OUTER_LAYERS = frozenset({"adapters", "api", "services", "cli", "config", "demo"})


def imported_modules(source: str, module: str) -> set[str]:
    """Every module ``source`` imports, absolute, with relative imports resolved."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, node.module] if node.module else parts)
            else:
                base = node.module or ""
            found.add(base)
            # "from gulfsec import api" imports the module gulfsec.api
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def pure_sources() -> list[tuple[str, Path]]:
    out = []
    for layer in PURE:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            out.append((".".join(relative.parts), path))
    return out


def violations(source: str, module: str) -> list[str]:
    bad = []
    for name in sorted(imported_modules(source, module)):
        top, _, rest = name.partition(".")
        if top in FORBIDDEN:
            bad.append(name)
        elif top == "gulfsec" and rest.split(".")[0] in OUTER_LAYERS:
            bad.append(name)
    return bad


def test_there_are_pure_modules_to_check() -> None:
    modules = [module for module, _ in pure_sources()]
    assert "gulfsec.domain.entry" in modules
    assert "gulfsec.ledger.note" in modules
    assert "gulfsec.domain.forms.keys" in modules


@pytest.mark.parametrize(
    ("module", "path"), pure_sources(), ids=[module for module, _ in pure_sources()]
)
def test_the_pure_core_imports_no_web_database_or_template_library(
    module: str, path: Path
) -> None:
    assert violations(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize(
    "source",
    [
        "import fastapi",
        "import sqlalchemy.orm as orm",
        "from starlette.requests import Request",
        "from jinja2 import Template",
        "def f():\n    import httpx\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import uvicorn\n",
        "import importlib\nimportlib.import_module('sqlalchemy')",
        "from gulfsec.adapters import db",
        "from gulfsec.services.hub import Hub",
        "from ..api import deps",
        "from .. import config",
        "from gulfsec import api",
    ],
)
def test_the_check_catches_each_kind_of_forbidden_import(source: str) -> None:
    assert violations(source, "gulfsec.domain.example") != []


@pytest.mark.parametrize(
    "source",
    [
        "import hashlib",
        "from pydantic import BaseModel",
        "from cryptography.hazmat.primitives import serialization",
        "from gulfsec.errors import MalformedEntry",
        "from gulfsec.domain.keys import SigningKey",
        "from . import keys",
        "import sqlalchemy_utils_lookalike",
    ],
)
def test_the_check_lets_the_standard_library_and_the_core_through(source: str) -> None:
    assert violations(source, "gulfsec.domain.example") == []
