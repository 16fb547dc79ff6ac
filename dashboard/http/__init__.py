"""HTTP routes only: the JSON API, map data, ingest, Open311, exports and the screen redirect."""
