"""Composition root and every entry point: CLI, HTTP API, Celery worker."""
