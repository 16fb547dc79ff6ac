"""Wires the dashboard: builds the Dash app, sets the layout, registers callbacks, exposes ``server``.

Run ``python app.py`` (serve; seeds the embedded store on first run) or
``python app.py --help``. No I/O happens at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dash
from flask_caching import Cache

from callbacks import exports as export_buttons
from callbacks import grid, live, navigation, panels
from callbacks import map as map_view
from callbacks import screen as screen_view
from dashboard import api, exports, ingest_api, layout, map_api, open311, screen, screen_layout, settings
from dashboard.cli import main
from dashboard.jobs import Jobs
from geo.store.store import Store
from layers import basemap

HERE = Path(__file__).parent


def create_app(config: settings.Config | None = None) -> dash.Dash:
    config = config or settings.load()
    app = dash.Dash(
        __name__,
        title="智治大脑 · 崂山区",
        assets_folder=str(HERE / "assets"),
        assets_ignore=r"^screen\.",  # the big screen's own stylesheet and script
        serve_locally=True,
        update_title=None,
    )
    app.server.extensions[api.STORE_KEY] = Store(config.database_url)
    app.server.extensions[api.CACHE_KEY] = Cache(
        app.server,
        config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(config.cache_dir),
                "CACHE_DEFAULT_TIMEOUT": config.cache_seconds, "CACHE_THRESHOLD": 5000},
    )
    app.server.extensions[exports.EXPORTS_KEY] = exports.Exporter(
        Jobs(config.exports_dir), config.briefing_font, config.export_wait_seconds
    )
    app.server.config["MAX_CONTENT_LENGTH"] = ingest_api.MAX_BODY_BYTES
    app.server.extensions[ingest_api.KEYS_KEY] = ingest_api.env_keys(config.ingest_api_keys)
    app.server.register_blueprint(ingest_api.blueprint)
    app.server.register_blueprint(open311.blueprint)
    app.server.register_blueprint(api.blueprint)
    app.server.register_blueprint(map_api.blueprint)
    app.server.register_blueprint(exports.blueprint)
    providers = basemap.providers(config.tianditu_key, config.tile_url, config.tile_crs)
    offered = {code: providers[code] for code in config.tile_providers if code in providers}
    app.layout = lambda: layout.page([(p.code, p.label) for p in offered.values()])
    navigation.register(app)
    map_view.register(app, offered)
    panels.register(app)
    grid.register(app)
    live.register(app)
    export_buttons.register(app)
    screen.redirect_screen_mode(app.server)
    screen_app = dash.Dash(__name__, server=app.server, url_base_pathname=screen.PATH, title="智治大脑 · 大屏",
                           assets_folder=str(HERE / "assets"), assets_ignore=r"^style\.css$", serve_locally=True,
                           update_title=None)
    screen_app.layout = screen_layout.page
    screen_view.register(screen_app)
    screen_view.register_live(screen_app)
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
