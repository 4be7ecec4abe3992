"""The service's database: SQLite by default, PostgreSQL for several instances (SQLAlchemy 2 Core)."""
