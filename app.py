"""Wires the dashboard: builds the Dash apps, sets their layouts, registers routes and callbacks, exposes ``server``.

Run ``python app.py`` (serve; seeds the embedded store on first run) or
``python app.py --help``. No I/O happens at import time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dash

from callbacks import compare, grid, live, navigation, panels, playback, proactive, search
from callbacks import exports as export_buttons
from callbacks import map as map_view
from callbacks import screen as screen_view
from dashboard import config, errors, services
from dashboard.http import (
    access,
    admin,
    analysis,
    api,
    callback_guard,
    exports,
    headers,
    ingest,
    login,
    map_api,
    open311,
)
from dashboard.http.screen import redirect_screen_mode
from dashboard.tools.cli import main
from dashboard.ui import page
from dashboard.ui import screen as screen_page
from dashboard.view.screen import PATH as SCREEN_PATH
from layers import basemap

HERE = Path(__file__).parent


def create_app(settings: config.Config | None = None) -> dash.Dash:
    settings = settings or config.load()
    app = dash.Dash(
        __name__,
        title="智治大脑 · 崂山区",
        assets_folder=str(HERE / "assets"),
        assets_ignore=r"^screen\.",  # the big screen's own stylesheet and script
        serve_locally=True,
        update_title=None,
    )
    services.install(app.server, settings)
    errors.register(app.server)
    access.register(app.server)
    for blueprint in (login.blueprint, admin.blueprint, ingest.blueprint, open311.blueprint, analysis.blueprint,
                      api.blueprint, map_api.blueprint, exports.blueprint):
        app.server.register_blueprint(blueprint)
    providers = basemap.providers(settings.tianditu_key, settings.tile_url, settings.tile_crs)
    offered = {code: providers[code] for code in settings.tile_providers if code in providers}
    app.layout = lambda: page.page([(p.code, p.label) for p in offered.values()], services.account_label())
    navigation.register(app, tuple(offered))
    map_view.register(app, offered)
    panels.register(app)
    grid.register(app)
    search.register(app)
    compare.register(app)
    playback.register(app)
    proactive.register(app, offered)
    live.register(app)
    export_buttons.register(app)
    redirect_screen_mode(app.server)
    screen_app = dash.Dash(__name__, server=app.server, url_base_pathname=SCREEN_PATH, title="智治大脑 · 大屏",
                           assets_folder=str(HERE / "assets"), assets_ignore=r"^style\.css$", serve_locally=True,
                           update_title=None)
    screen_app.layout = screen_page.page
    screen_view.register(screen_app)
    app.server.extensions[services.SCREEN_APP_KEY] = screen_app
    callback_guard.register(app, screen_app)
    headers.register(settings, app, screen_app)
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
