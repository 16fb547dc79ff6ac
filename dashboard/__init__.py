"""The web app around the store: settings, services, views, pages, routes, ingest, exports and tools."""
