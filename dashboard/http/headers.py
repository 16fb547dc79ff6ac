"""Security headers on every answer, and a development server that does not announce itself.

The pages load everything from this server: scripts from ``'self'`` plus
Dash's own inline scripts (the renderer's start and inline clientside
callbacks), allowed by hash (``Dash.csp_hashes``) for both Dash apps; images
from ``'self'``, ``data:`` URLs and the tile servers the settings offer, nothing
else. Styles keep ``'unsafe-inline'``: plotly.js, Leaflet and AG Grid insert
``<style>`` elements at run time, which no hash can name. No page may be framed
(clickjacking) and no response is sniffed into another type. The referrer never
leaves the site, except, when tile servers are offered, this site's origin (never
the path, whose query names the view): OpenStreetMap refuses tiles without one.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import dash
from werkzeug.serving import WSGIRequestHandler

from dashboard.config import Config
from layers import basemap

LOG = logging.getLogger(__name__)
#: A tile host that can go into the policy as it is (no spaces, quotes or semicolons that would change it).
TILE_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

#: Headers that do not depend on the settings.
FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


def tile_origins(provider: basemap.Provider) -> list[str]:
    """The origins a provider's tiles come from: one per subdomain for a ``{s}`` template; none for the vector base."""
    if not provider.url:
        return []
    parts = urlsplit(provider.url)
    if not parts.scheme and not parts.netloc:  # a path on this server: 'self'
        return []
    hosts = sorted({parts.netloc.replace("{s}", s) for s in provider.subdomains or "a"})
    if parts.scheme not in ("http", "https") or not all(TILE_HOST.fullmatch(h) for h in hosts):
        LOG.warning("底图 %s 的瓦片地址无法写入内容安全策略，浏览器将不加载其瓦片：%s", provider.code, provider.url)
        return []
    return [f"{parts.scheme}://{host}" for host in hosts]


def offered_tile_origins(settings: Config) -> list[str]:
    """Tile origins of the base maps ``TILE_PROVIDERS`` offers, in the order they are offered."""
    available = basemap.providers(settings.tianditu_key, settings.tile_url, settings.tile_crs)
    origins: list[str] = []
    for code in settings.tile_providers:
        if code in available:
            origins += [o for o in tile_origins(available[code]) if o not in origins]
    return origins


def content_security_policy(script_hashes: list[str], image_origins: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *image_origins],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def register(settings: Config, *apps: dash.Dash) -> None:
    """Adds the headers to every answer of the apps' server; call once every callback is registered.

    The script hashes cover inline clientside callbacks, so they are taken after
    the last one exists.
    """
    hashes = list(dict.fromkeys(h for app in apps for h in app.csp_hashes()))
    tiles = offered_tile_origins(settings)
    headers = {**FIXED_HEADERS, "Content-Security-Policy": content_security_policy(hashes, tiles),
               "Referrer-Policy": "strict-origin-when-cross-origin" if tiles else "same-origin"}

    @apps[0].server.after_request
    def _security_headers(response):
        response.headers.update(headers)
        return response


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the ``Server: Werkzeug/… Python/…`` banner (a free version scan)."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())
