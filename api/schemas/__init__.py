"""Request and response models of the HTTP API, one module per area (``api/routes/<area>.py`` uses them)."""
