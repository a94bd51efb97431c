"""Serving: finished builds published atomically for Superset, Trino-less queries and the query CLI."""
