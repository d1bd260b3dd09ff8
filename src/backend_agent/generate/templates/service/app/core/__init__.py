"""Cross-cutting runtime: settings, database, security, errors, middleware, operations."""
