"""A throwaway PostgreSQL cluster for tests that stop and start the database.

``initdb`` in a temp directory, run as the ``postgres`` user when the tests
run as root, so the shared test server on 5432 is never stopped. It holds a
small seeded PostGIS store in database ``zhizhi``. Without server binaries or
PostGIS it skips locally and fails under CI (conftest's ``missing_service``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo import seeding
from geo.store.store import Store
from tests.conftest import SEED_END, missing_service


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bindir() -> Path | None:
    """A PostgreSQL bin directory with initdb and pg_ctl, preferring one whose version has PostGIS."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    candidates += versions
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    usable = [c for c in dict.fromkeys(candidates) if (c / "initdb").exists() and (c / "pg_ctl").exists()]
    with_postgis = [c for c in usable if _has_postgis(c)]
    return (with_postgis or usable or [None])[0]


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(x) for x in name.split(".") if x.isdigit()) or (0,)


def _has_postgis(bindir: Path) -> bool:
    pg_config = bindir / "pg_config"
    if not pg_config.exists():
        return True  # cannot tell; CREATE EXTENSION will say
    out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, check=False)
    return out.returncode == 0 and (Path(out.stdout.strip()) / "extension" / "postgis.control").exists()


@dataclass
class Cluster:
    """A PostgreSQL cluster of our own in a temp directory, on a free port of 127.0.0.1."""

    bindir: Path
    base: Path
    port: int
    as_user: str | None  # run the binaries as this user (when we are root)
    log: Path = field(init=False)
    data: Path = field(init=False)

    def __post_init__(self):
        self.data = self.base / "data"
        self.log = self.base / "server.log"

    def run(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            cmd = (["runuser", "-u", self.as_user, "--", *cmd] if shutil.which("runuser")
                   else ["su", self.as_user, "-s", "/bin/sh", "-c", subprocess.list2cmdline(cmd)])
        done = subprocess.run(cmd, cwd=self.base, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:1])} failed ({done.returncode}): {done.stderr or done.stdout}"
                               f"\n-- server log --\n{self.log_tail()}")
        return done

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def initdb(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", check=check)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate", check=False)
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():  # pg_ctl could not stop it: the postmaster is ours, so kill it
            with contextlib.suppress(OSError, ValueError, IndexError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def pg_cluster():
    """A started throwaway cluster with a seeded PostGIS store in database ``zhizhi``; always removed."""
    bindir = _bindir()
    if bindir is None:
        missing_service("no PostgreSQL server binaries (initdb, pg_ctl) to start a throwaway cluster")
    as_user = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing_service("running as root and there is no postgres user to run initdb as")
        as_user = "postgres"
    # Under /tmp when the cluster runs as another user: TMPDIR may be a folder only we can enter.
    base = Path(tempfile.mkdtemp(prefix="zz_pg_", dir="/tmp" if as_user and os.path.isdir("/tmp") else None))
    if as_user:
        entry = pwd.getpwnam(as_user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(bindir, base, _free_port(), as_user)
    try:
        try:
            cluster.initdb()
            cluster.start()
        except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
            missing_service(f"cannot start a throwaway PostgreSQL cluster with {bindir}: {exc}")
        admin = sa.create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE zhizhi")
        admin.dispose()
        engine = sa.create_engine(cluster.url("zhizhi"), poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION postgis")
        except sa.exc.DBAPIError as exc:
            missing_service(f"PostGIS is not available to the throwaway cluster ({bindir}): {exc.orig}")
        finally:
            engine.dispose()
        store = Store(cluster.url("zhizhi"))
        seeding.seed(store, appeals=2000, days=30, end=SEED_END, seed=7, chunk_size=2500, progress=lambda _: None)
        store.dispose()
        yield cluster
    finally:
        cluster.destroy()
