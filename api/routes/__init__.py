"""The API's routers, one module per resource; ``create_app`` includes ``ROUTERS`` in order."""

from api.routes import audit, auth, collections, deposits, oai, records, retention, search, system, ui, webhooks

ROUTERS = [auth.router, records.router, deposits.router, collections.router, search.router, retention.router, audit.router,
           webhooks.router, system.router, oai.router, ui.router]

__all__ = ["ROUTERS"]
