"""The production web server: gunicorn's threaded workers, with bounded queues and timeouts.

Werkzeug's development server starts a thread per connection without limit and
never drops an idle one; gunicorn's ``gthread`` workers keep idle keep-alive
connections in a poller (no thread each), run requests on a fixed pool of
threads, restart a worker stuck past the timeout and bound the listen backlog.
Each worker builds its own app from the same settings (no preloading: no
database connection or thread crosses a fork), so every worker, on this
machine or another, answers alike.
"""

from __future__ import annotations

from collections.abc import Callable

from gunicorn.app.base import BaseApplication
from gunicorn.workers import gthread

from dashboard.config import Config
from dashboard.tools import housekeeping

#: Seconds an idle keep-alive connection is kept open (a browser reuses it for the next callback).
KEEPALIVE_SECONDS = 5
#: Seconds a new connection may hold a request thread before sending its request; then it waits in the
#: worker's poller, holding none (gunicorn's default, 5 s, lets a flood of idle sockets queue real requests
#: for a minute; a browser sends its request at once, and a slower one is deferred, not dropped). gunicorn also
#: bounds draining an unread request body by it: such a connection is closed rather than kept alive.
FIRST_BYTE_SECONDS = 0.25
#: Largest request line and header field gunicorn reads; longer ones get 414/431 before the app runs.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELD_SIZE = 8190


def options(config: Config) -> dict:
    """gunicorn's settings from ours (``WEB_*``), and the hooks every worker runs."""
    return {
        "bind": f"{config.host}:{config.port}",
        "workers": config.web_workers,
        "worker_class": "gthread",
        "threads": config.web_threads,
        "timeout": config.web_timeout,
        "graceful_timeout": config.web_timeout,
        "keepalive": KEEPALIVE_SECONDS,
        "backlog": config.web_backlog,
        "worker_connections": config.web_threads * 50,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "preload_app": False,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "zhizhi",
        "post_worker_init": lambda worker: _worker_started(config, worker),
    }


def _worker_started(config: Config, worker) -> None:
    """In each worker, before it takes connections: shorten the first-byte wait (a module constant of gunicorn's
    gthread, no setting), finish Dash's first-request setup, and start the background duties (the analysis
    when due, position retention).

    Dash registers its script bundles on the first request and marks that done before doing it
    (plotly/dash#3971): a page's concurrent script requests reaching a fresh threaded worker then fail with
    "not a registered library", and a wall stays on "Loading..." until reloaded. One request here, alone,
    completes the setup first."""
    if hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTE_SECONDS
    worker.wsgi.test_client().get("/healthz")
    housekeeping.start(config)


class ProductionServer(BaseApplication):
    """gunicorn run from ``python app.py``: settings from :func:`options`, the app built in each worker."""

    def __init__(self, build: Callable[[], object], config: Config):
        self._build = build
        self._options = options(config)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._build()


def serve(build: Callable[[], object], config: Config) -> None:
    """Serves until stopped (Ctrl-C or SIGTERM ends every worker gracefully)."""
    ProductionServer(build, config).run()
