"""Queries: one SQL statement per read, documents built as JSON inside the database."""
