"""The one data-access layer (``Store``) over PostGIS or embedded SQLite, its schema and its migrations."""
