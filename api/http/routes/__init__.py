"""The API's routers, one module per resource; ``create_app`` includes ``ROUTERS`` in order."""

from api.http.routes import (
                        audit,
                        auth,
                        collections,
                        corrections,
                        deposits,
                        dossier_changes,
                        imports,
                        oai,
                        packages,
                        quarantine,
                        records,
                        retention,
                        search,
                        system,
                        webhooks,
)

ROUTERS = [auth.router, records.router, deposits.router, imports.router, corrections.router, collections.router,
           dossier_changes.router, packages.router, quarantine.router,
           search.router, retention.router, audit.router, webhooks.router, system.router, oai.router]

__all__ = ["ROUTERS"]
