"""The web application for people: server-rendered pages (Jinja2, htmx for partial updates) on the
same services as the HTTP API, with cookie sessions, CSRF tokens and a strict CSP — docs/web.md.

``install(app)`` adds the pages, ``/static`` and ``/docs`` to the FastAPI app."""

from api.web.render import install

__all__ = ["install"]
