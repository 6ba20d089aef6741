"""Request and response models of the HTTP API, one module per area (``api/http/routes/<area>.py`` uses them)."""
