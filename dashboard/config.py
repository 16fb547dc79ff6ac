"""Settings, declared once and read from the environment: the one module that reads it.

Every setting has a name, a default and a help line; the README's settings
table is generated from the same declarations (``python app.py settings``).
The app, the tests and the benchmarks all read their settings here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geo.domain import DEMO_SEED


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "instance", "Folder for the embedded store and other runtime files."),
    Setting("DATABASE_URL", "", "Store to use. Empty: the embedded SQLite file DATA_DIR/zhizhi.sqlite3. "
            "PostGIS: postgresql+psycopg://user@host:5432/dbname."),
    Setting("DATABASE_READ_URL", "", "A streaming read replica of DATABASE_URL (PostGIS) for the dashboard's reads of "
            "appeals, positions and versions; writes, accounts and the analysis stay on DATABASE_URL. Empty: all on "
            "DATABASE_URL."),
    Setting("HOST", "127.0.0.1", "Address the dashboard listens on."),
    Setting("PORT", "8050", "Port the dashboard listens on."),
    Setting("DEMO_SEED", str(DEMO_SEED), "Seed of the demo data made on first run."),
    Setting("DEMO_APPEALS", "", "Appeals made on first run. Empty: about 180 a day since launch."),
    Setting("TILE_PROVIDERS", "vector-light,vector-dark", "Base maps offered, first is default: vector-light, "
            "vector-dark (offline), osm, amap (GCJ-02), tianditu (needs TIANDITU_KEY), custom (needs TILE_URL)."),
    Setting("TIANDITU_KEY", "", "天地图 API key (tk)."),
    Setting("TILE_URL", "", "Internal tile server URL template, e.g. http://tiles.local/{z}/{x}/{y}.png."),
    Setting("TILE_CRS", "wgs84", "Datum of TILE_URL's tiles: wgs84 (also CGCS2000) or gcj02."),
    Setting("BRIEFING_FONT", "", "Chinese font for PDF/PNG exports: a .ttf/.otf/.ttc path, `path#face` for a "
            "collection face, optionally `,bold-path`. Empty: found with fontconfig (Noto Sans CJK SC from "
            "fonts-noto-cjk)."),
    Setting("EXPORT_WAIT_SECONDS", "2", "Exports finished within this time download at once; longer ones "
            "answer 202 with a job to poll."),
    Setting("EXPORT_JOBS_PER_USER", "2", "Export jobs one user may have queued or running at once, across all "
            "server processes; one more is a 429 with Retry-After."),
    Setting("EXPORT_JOBS_TOTAL", "8", "Export jobs all users together may have queued or running at once; one "
            "more is a 429 with Retry-After."),
    Setting("INGEST_API_KEYS", "", "Ingest API keys, comma-separated, each `name:key`, `name:key:admin` (may read "
            "dead letters) or a bare key. More keys: `python app.py api-key create NAME [--admin]` (stored hashed)."),
    Setting("SECRET_KEY", "", "Signs session cookies. Empty: a random key made once in DATA_DIR/secret_key (shared by "
            "all server processes on that folder). Changing it signs everyone out."),
    Setting("AUTH_DISABLED", "", "Set to 1 to skip sign-in and serve everyone as 区级 (demos, local tools). Refused "
            "unless HOST is a loopback address."),
    Setting("SESSION_IDLE_MINUTES", "30", "A signed-in session ends after this many minutes without a request."),
    Setting("SESSION_MAX_HOURS", "12", "A signed-in session ends this many hours after sign-in, however active."),
    Setting("SCREEN_SESSION_DAYS", "90", "A wall's device session lasts this many days (revoking its token ends it "
            "at once)."),
    Setting("SECURE_COOKIES", "auto", "Session cookies' Secure flag: auto (when the request came over HTTPS), 1 "
            "(always), 0 (never)."),
    Setting("RATE_LIMIT_STORAGE", "", "Where failed sign-ins and wrong API keys are counted: memory:// (each "
            "process on its own) or redis://host:6379/N (shared by all processes). Empty: REDIS_URL when set, else "
            "memory://."),
    Setting("ANALYSIS_INTERVAL_MINUTES", "60", "How often each server process runs the 未诉先办 analysis "
            "(hotspots, forecasts, repeats, the list) when the last run is older; one run at a time across all "
            "processes and machines (a lock row in the store). 0: only `python app.py analyze`."),
    Setting("POSITION_RETENTION_DAYS", "30", "Days of grid-worker position history kept (whole UTC days; PostGIS "
            "drops a day's partition at once). Each worker's latest position is always kept. 0: keep all."),
    Setting("CACHE_SECONDS", "300", "How long identical dashboard queries are served from the shared cache."),
    Setting("REDIS_URL", "", "Redis for what several server processes (on one machine or many) share: the view cache, "
            "the data versions the live poll reads, export jobs and, unless RATE_LIMIT_STORAGE says otherwise, the "
            "sign-in throttle; e.g. redis://127.0.0.1:6379/0. Empty: files under DATA_DIR (one machine only)."),
    Setting("WEB_WORKERS", "2", "Server processes `python app.py` starts (gunicorn workers); about one per core."),
    Setting("WEB_THREADS", "32", "Request threads per server process; idle keep-alive connections hold none."),
    Setting("WEB_TIMEOUT", "60", "Seconds a server process may stay silent before it is restarted, and the wait for "
            "requests in flight at shutdown (a single slow request is not cut off)."),
    Setting("WEB_BACKLOG", "256", "Connections waiting to be accepted beyond which new ones are refused."),
    Setting("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
            "Tests only: a PostgreSQL server where tests create and drop their own databases."),
    Setting("STRICT_TESTS", "", "Tests only: when set (or when CI is set), any skipped test fails the run, "
            "a missing PostGIS included."),
    Setting("CI", "", "Set by CI systems; tests then behave as with STRICT_TESTS."),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """Resolved settings; build one with :func:`load` and pass it down."""

    data_dir: Path
    database_url: str
    host: str
    port: int
    demo_seed: int
    demo_appeals: int | None
    tile_providers: tuple[str, ...]
    tianditu_key: str
    tile_url: str
    tile_crs: str
    cache_seconds: int
    briefing_font: str = ""
    ingest_api_keys: str = ""
    export_wait_seconds: float = 2.0
    secret_key: str = ""
    auth_disabled: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    screen_session_days: int = 90
    secure_cookies: str = "auto"
    rate_limit_storage: str = "memory://"
    export_jobs_per_user: int = 2
    export_jobs_total: int = 8
    analysis_interval_minutes: int = 60
    database_read_url: str = ""
    position_retention_days: int = 30
    redis_url: str = ""
    web_workers: int = 2
    web_threads: int = 32
    web_timeout: int = 60
    web_backlog: int = 256

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"


def get(name: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(name, _BY_NAME[name].default)


TILE_PROVIDER_CODES = ("vector-light", "vector-dark", "osm", "amap", "tianditu", "custom")


def load(environ: dict[str, str] | None = None) -> Config:
    """Read all settings; raises ValueError with the setting's name on bad values."""
    providers = tuple(p.strip() for p in get("TILE_PROVIDERS", environ).split(",") if p.strip())
    unknown = [p for p in providers if p not in TILE_PROVIDER_CODES]
    if unknown or not providers:
        raise ValueError(f"设置 TILE_PROVIDERS 含未知底图 {unknown}，可选 {', '.join(TILE_PROVIDER_CODES)}")
    if get("TILE_CRS", environ) not in ("wgs84", "gcj02"):
        raise ValueError("设置 TILE_CRS 应为 wgs84 或 gcj02")
    data_dir = Path(get("DATA_DIR", environ))
    url = get("DATABASE_URL", environ) or f"sqlite:///{data_dir / 'zhizhi.sqlite3'}"
    return Config(
        data_dir=data_dir,
        database_url=url,
        host=get("HOST", environ),
        port=_int("PORT", environ),
        demo_seed=_int("DEMO_SEED", environ),
        demo_appeals=_int("DEMO_APPEALS", environ) if get("DEMO_APPEALS", environ) else None,
        tile_providers=providers,
        tianditu_key=get("TIANDITU_KEY", environ),
        tile_url=get("TILE_URL", environ),
        tile_crs=get("TILE_CRS", environ),
        cache_seconds=_int("CACHE_SECONDS", environ),
        briefing_font=get("BRIEFING_FONT", environ),
        ingest_api_keys=get("INGEST_API_KEYS", environ),
        export_wait_seconds=_float("EXPORT_WAIT_SECONDS", environ),
        secret_key=get("SECRET_KEY", environ),
        auth_disabled=_flag("AUTH_DISABLED", environ),
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", environ),
        session_max_hours=_int("SESSION_MAX_HOURS", environ),
        screen_session_days=_int("SCREEN_SESSION_DAYS", environ),
        secure_cookies=_choice("SECURE_COOKIES", environ, ("auto", "1", "0")),
        rate_limit_storage=get("RATE_LIMIT_STORAGE", environ) or _redis_url(environ) or "memory://",
        export_jobs_per_user=_count("EXPORT_JOBS_PER_USER", environ),
        export_jobs_total=_count("EXPORT_JOBS_TOTAL", environ),
        analysis_interval_minutes=_non_negative("ANALYSIS_INTERVAL_MINUTES", environ),
        redis_url=_redis_url(environ),
        database_read_url=get("DATABASE_READ_URL", environ).strip(),
        position_retention_days=_non_negative("POSITION_RETENTION_DAYS", environ),
        web_workers=_count("WEB_WORKERS", environ),
        web_threads=_count("WEB_THREADS", environ),
        web_timeout=_count("WEB_TIMEOUT", environ),
        web_backlog=_count("WEB_BACKLOG", environ),
    )


def _redis_url(environ: dict[str, str] | None) -> str:
    raw = get("REDIS_URL", environ).strip()
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"设置 REDIS_URL 应以 redis://、rediss:// 或 unix:// 开头，当前为 {raw!r}")
    return raw


def _int(name: str, environ: dict[str, str] | None) -> int:
    raw = get(name, environ)
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"设置 {name} 必须是整数，当前为 {raw!r}") from None


def _flag(name: str, environ: dict[str, str] | None) -> bool:
    return _choice(name, environ, ("", "0", "1")) == "1"


def _choice(name: str, environ: dict[str, str] | None, allowed: tuple[str, ...]) -> str:
    raw = get(name, environ).strip()
    if raw not in allowed:
        raise ValueError(f"设置 {name} 应为 {' / '.join(a or '空' for a in allowed)} 之一，当前为 {raw!r}")
    return raw


def _non_negative(name: str, environ: dict[str, str] | None) -> int:
    value = _int(name, environ)
    if value < 0:
        raise ValueError(f"设置 {name} 不能为负数，当前为 {value}")
    return value


def _count(name: str, environ: dict[str, str] | None) -> int:
    value = _int(name, environ)
    if value < 1:
        raise ValueError(f"设置 {name} 至少为 1，当前为 {value}")
    return value


def _float(name: str, environ: dict[str, str] | None) -> float:
    raw = get(name, environ)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise ValueError(f"设置 {name} 应为 0–600 之间的秒数，当前为 {raw!r}")
    return value


def markdown_table() -> str:
    rows = ["| name | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)


def strict_tests(environ: dict[str, str] | None = None) -> bool:
    """Whether a skipped test must fail the run (CI never passes by skipping)."""
    return bool(get("STRICT_TESTS", environ) or get("CI", environ))
