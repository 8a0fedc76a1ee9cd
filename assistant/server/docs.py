"""``/docs`` without the internet: Swagger UI served from the installed package.

FastAPI's default page loads Swagger UI from a CDN, which a fleet server on
a private network (or a laptop in a car park) cannot reach. The
``fastapi-offline`` package (MIT) ships Swagger UI 5's bundle and stylesheet
(Swagger UI: Apache-2.0; version 5 is the first to read OpenAPI 3.1, which
FastAPI writes); they are mounted under ``/docs/assets`` and the page points
at them. Only the files are used, not its app factory. ReDoc is not served.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI's files as ``fastapi-offline`` installs them.
SWAGGER_UI_DIR = Path(str(files("fastapi_offline") / "static"))

#: Where the Swagger UI files are served.
ASSETS = "/docs/assets"


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (``app`` must be built with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
