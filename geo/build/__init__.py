"""The offline builder of ``geo/data`` (``python -m geo.build``); the app never imports it."""
