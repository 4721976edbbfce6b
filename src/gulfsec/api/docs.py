"""The API's interactive documentation, served whole from the package: no CDN.

Swagger UI's assets come from the ``fastapi-offline`` package, which ships a current build of
them (its ``static/`` folder); the page and the script that starts Swagger UI are ours, so that
the page needs no inline script. Works on a network with no way out.
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

ASSETS_PACKAGE: Final = ("fastapi_offline", "static")

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — API</title>
<link rel="icon" href="{prefix}/docs/assets/favicon.png">
<link rel="stylesheet" href="{prefix}/docs/assets/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"><noscript><p>The interactive documentation needs JavaScript. The API's
description is at <a href="{prefix}/openapi.json">{prefix}/openapi.json</a>.</p></noscript></main>
<script src="{prefix}/docs/assets/swagger-ui-bundle.js"></script>
<script src="{prefix}/docs/start.js"></script>
</body>
</html>
"""

_START: Final = """window.ui = SwaggerUIBundle({{
  url: "{prefix}/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
"""


def install_docs(app: FastAPI, prefix: str = "/v1") -> None:
    """Serve the documentation of ``app``'s API at ``{prefix}/docs`` (create ``app`` with
    ``docs_url=None``)."""
    title = app.title
    app.mount(f"{prefix}/docs/assets", StaticFiles(packages=[ASSETS_PACKAGE]),
              name="docs-assets")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    def docs(_request: Request) -> HTMLResponse:
        return HTMLResponse(_PAGE.format(title=title, prefix=prefix))

    @app.get(f"{prefix}/docs/start.js", include_in_schema=False)
    def start(_request: Request) -> Response:
        return Response(_START.format(prefix=prefix), media_type="text/javascript")
