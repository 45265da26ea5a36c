"""SQL storage through SQLAlchemy: tables, database opening and migrations, repository, search."""
