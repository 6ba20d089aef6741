"""``/docs``: Swagger UI for the OpenAPI description, from files of this package (the npm package
``swagger-ui-dist``, vendored with its licence in ``static/vendor/swagger-ui``) — it works offline
and under the pages' Content-Security-Policy (its start-up script is a static file too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.web.render import WebRoute, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/docs")
def swagger_ui(request: Request) -> Response:
    return render(request, "docs.html", {})
