"""The API's routers, one module per resource; ``create_app`` includes ``ROUTERS`` in order."""

from api.routes import auth, records, system, ui

ROUTERS = [auth.router, records.router, system.router, ui.router]

__all__ = ["ROUTERS"]
