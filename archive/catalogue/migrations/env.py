"""Alembic environment: runs on the connection that ``Catalogue.migrate`` hands over."""

from alembic import context

from archive.catalogue.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the alembic CLI is not used; Catalogue.migrate is
    raise RuntimeError("run migrations through archive.catalogue.Catalogue.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
