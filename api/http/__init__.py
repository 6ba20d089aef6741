"""The HTTP API: the FastAPI application (``app.create_app``), its routers (``routes/``), request and
response models (``schemas/``) and what only HTTP needs (problem+json, uploads, login throttling,
OAI-PMH, OIDC). The web pages stay in ``api.web``; composition and shared services in ``api``."""
