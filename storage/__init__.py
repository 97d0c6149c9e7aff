"""Database: SQLAlchemy models, Alembic migrations, repository functions."""
