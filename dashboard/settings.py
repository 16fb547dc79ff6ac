"""Settings, declared once and read from the environment.

Every setting has a name, a default and a help line; the README's settings
table is generated from the same declarations (``python app.py settings``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "instance", "Folder for the embedded store and other runtime files."),
    Setting(
        "DATABASE_URL",
        "",
        "Store to use. Empty: the embedded SQLite file DATA_DIR/zhizhi.sqlite3. "
        "PostGIS: postgresql+psycopg://user@host:5432/dbname.",
    ),
    Setting("HOST", "127.0.0.1", "Address the dashboard listens on."),
    Setting("PORT", "8050", "Port the dashboard listens on."),
    Setting("DEMO_SEED", "20221020", "Seed of the demo data made on first run."),
    Setting("DEMO_APPEALS", "", "Appeals made on first run. Empty: about 180 a day since launch."),
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


def get(name: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get(name, _BY_NAME[name].default)


def load(environ: dict[str, str] | None = None) -> Config:
    """Read all settings; raises ValueError with the setting's name on bad values."""
    data_dir = Path(get("DATA_DIR", environ))
    url = get("DATABASE_URL", environ) or f"sqlite:///{data_dir / 'zhizhi.sqlite3'}"
    return Config(
        data_dir=data_dir,
        database_url=url,
        host=get("HOST", environ),
        port=_int("PORT", environ),
        demo_seed=_int("DEMO_SEED", environ),
        demo_appeals=_int("DEMO_APPEALS", environ) if get("DEMO_APPEALS", environ) else None,
    )


def _int(name: str, environ: dict[str, str] | None) -> int:
    raw = get(name, environ)
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"设置 {name} 必须是整数，当前为 {raw!r}") from None


def markdown_table() -> str:
    rows = ["| name | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(rows)
