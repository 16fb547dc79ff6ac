"""``/?mode=screen&…`` opens the big screen: a dashboard link with ``mode=screen`` becomes the wall's link."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, redirect, request

from dashboard.view.screen import PATH


def redirect_screen_mode(server: Flask) -> None:
    """``/?mode=screen&…`` → 302 ``/screen/?…``, the other parameters kept."""

    @server.before_request
    def _screen_mode():
        if request.path != "/" or request.args.get("mode") != "screen":
            return None
        rest = [(k, v) for k, v in request.args.items(multi=True) if k != "mode"]
        query = urlencode(rest, safe=",")
        return redirect(request.script_root + PATH + ("?" + query if query else ""), code=302)
