"""Alembic's entry point: run the revisions on the connection `store.open_store` hands in."""

from alembic import context

from gemeingut.serve.gateway.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
