"""The service's tables (SQLAlchemy Core)."""
