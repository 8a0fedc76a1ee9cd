"""``/docs`` without the internet: Swagger UI served from the installed package.

FastAPI's default page loads Swagger UI from a CDN, which a fleet server on
a private network (or a laptop in a car park) cannot reach. The
``swagger-ui-bundle`` package (Apache-2.0) ships Swagger UI's dist files;
they are mounted under ``/docs/assets`` and the page points at them. ReDoc
has no such package and is not served.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

#: Where the Swagger UI files are served.
ASSETS = "/docs/assets"


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (``app`` must be built with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
