"""Map layers: query results in, dash-leaflet components and map images out (no store, no Flask)."""
