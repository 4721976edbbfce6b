"""The layers keep to their rooms (DESIGN.md §3, STYLE.md):

- the pure core (``gulfsec.domain``, ``gulfsec.ledger``) imports no web framework, database,
  template engine, HTTP client or server, and nothing from the outer layers;
- ``gulfsec.adapters`` imports no service, API, page, CLI or composition root;
- ``gulfsec.services`` imports neither the API nor the pages (nor the CLI or the root);
- the API (``gulfsec.api``) and the pages (``gulfsec.web``) do not import each other, and
  neither reaches into what the other keeps on the app (``app.state`` / ``request.state``):
  what they share, :mod:`gulfsec.bootstrap` hands to both.

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
OUTER_LAYERS = frozenset({"adapters", "api", "services", "cli", "config", "demo", "web",
                          "bootstrap"})
OUTWARD: dict[str, frozenset[str]] = {
    "adapters": frozenset({"services", "api", "web", "cli", "demo", "bootstrap"}),
    "services": frozenset({"api", "web", "cli", "demo", "bootstrap"}),
    "api": frozenset({"web", "cli", "demo", "bootstrap"}),
    "web": frozenset({"api", "cli", "demo", "bootstrap"}),
}
"""For each outer layer, the layers it must not import."""
APP_STATE: dict[str, frozenset[str]] = {
    "api": frozenset({"hub", "node", "compliance", "pulse", "sync_loop", "accounts",
                      "session_cookie"}),
    "web": frozenset({"web", "web_session", "web_session_expired"}),
}
"""What each of the API and the pages keeps on ``app.state`` / ``request.state``."""


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


def sources(*layers: str) -> list[tuple[str, Path]]:
    out = []
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            out.append((".".join(relative.parts), path))
    return out


def pure_sources() -> list[tuple[str, Path]]:
    return sources(*PURE)


def outward_imports(source: str, module: str, layer: str) -> list[str]:
    """The imports of ``module`` (in ``layer``) that reach a layer it must not import."""
    bad = []
    for name in sorted(imported_modules(source, module)):
        top, _, rest = name.partition(".")
        if top == "gulfsec" and rest.split(".")[0] in OUTWARD[layer]:
            bad.append(name)
    return bad


def _is_app_state(node: ast.AST) -> bool:
    """``request.state``, ``app.state``, ``request.app.state``, ``self.app.state``..."""
    if not (isinstance(node, ast.Attribute) and node.attr == "state"):
        return False
    base = node.value
    return (isinstance(base, ast.Name) and base.id in ("request", "app", "_app")) or (
        isinstance(base, ast.Attribute) and base.attr == "app")


def foreign_state(source: str, layer: str) -> list[str]:
    """What ``layer`` reads or writes of the other one's app state."""
    other = next(name for name in APP_STATE if name != layer)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _is_app_state(node.value) \
                and node.attr in APP_STATE[other]:
            found.append(f"state.{node.attr}")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr") and node.args \
                and _is_app_state(node.args[0]) and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in APP_STATE[other]:
            found.append(f"state.{node.args[1].value}")
    return found


def violations(source: str, module: str) -> list[str]:
    bad = []
    for name in sorted(imported_modules(source, module)):
        top, _, rest = name.partition(".")
        if top in FORBIDDEN:
            bad.append(name)
        elif top == "gulfsec" and rest.split(".")[0] in OUTER_LAYERS:
            bad.append(name)
    return bad


@pytest.mark.parametrize(
    ("layer", "module", "path"),
    [(layer, module, path) for layer in OUTWARD for module, path in sources(layer)],
    ids=[module for layer in OUTWARD for module, _ in sources(layer)],
)
def test_no_layer_imports_one_further_out(layer: str, module: str, path: Path) -> None:
    assert outward_imports(path.read_text(encoding="utf-8"), module, layer) == []


@pytest.mark.parametrize(
    ("layer", "module", "path"),
    [(layer, module, path) for layer in APP_STATE for module, path in sources(layer)],
    ids=[module for layer in APP_STATE for module, _ in sources(layer)],
)
def test_the_api_and_the_pages_keep_out_of_each_others_app_state(
        layer: str, module: str, path: Path) -> None:
    assert foreign_state(path.read_text(encoding="utf-8"), layer) == []


@pytest.mark.parametrize(("layer", "source"), [
    ("services", "from gulfsec.api.errors import status_for"),
    ("services", "from gulfsec.web import forms"),
    ("services", "def f():\n    import gulfsec.bootstrap\n"),
    ("web", "from gulfsec.api.hub import create_hub_app"),
    ("api", "from gulfsec.web import install_hub_pages"),
    ("adapters", "from gulfsec.services.node import Node"),
])
def test_the_outward_check_catches_each_kind_of_import(layer: str, source: str) -> None:
    assert outward_imports(source, f"gulfsec.{layer}.example", layer) != []


@pytest.mark.parametrize(("layer", "source"), [
    ("web", "x = request.app.state.compliance"),
    ("web", "request.app.state.node.send()"),
    ("web", "c = getattr(app.state, 'compliance', None)"),
    ("api", "site = request.app.state.web"),
    ("api", "token = getattr(request.app.state, 'web', None)"),
])
def test_the_state_check_catches_a_reach_into_the_other_side(layer: str, source: str) -> None:
    assert foreign_state(source, layer) != []


def test_the_state_check_lets_a_layer_use_its_own_state_and_services_state() -> None:
    assert foreign_state("s = request.app.state.web\nn = hub.state.size", "web") == []
    assert foreign_state("n = request.app.state.node\nh = hub.state.tree", "api") == []


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
