"""Wires the dashboard: builds the Dash app, sets the layout, registers callbacks, exposes ``server``.

Run ``python app.py`` (serve; seeds the embedded store on first run) or
``python app.py --help``. No I/O happens at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dash

from callbacks import kpis
from dashboard import api, layout, settings
from dashboard.cli import main
from geo.store.store import Store

HERE = Path(__file__).parent


def create_app(config: settings.Config | None = None) -> dash.Dash:
    config = config or settings.load()
    app = dash.Dash(
        __name__,
        title="智治大脑 · 崂山区",
        assets_folder=str(HERE / "assets"),
        serve_locally=True,
        update_title=None,
    )
    app.server.extensions[api.STORE_KEY] = Store(config.database_url)
    app.server.register_blueprint(api.blueprint)
    app.layout = layout.page
    kpis.register(app)
    return app


def __getattr__(name: str):
    """``app:server`` for WSGI servers, built on first access so importing does no I/O."""
    if name == "server":
        return create_app().server
    if name == "app":
        return create_app()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], create_app))
