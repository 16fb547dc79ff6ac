"""The command line, run as a user would: a real process, real exit codes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dashboard import config
from dashboard.tools import cli

ROOT = Path(__file__).resolve().parents[1]
END = "2026-11-20T12:00:00+08:00"


def run(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python app.py …`` as a user runs it; its runtime files go to a temporary folder, not the checkout."""
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "DATA_DIR": tempfile.mkdtemp(prefix="zz_cli_"), **(env or {})},
    )


def assert_clean_failure(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode != 0
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_seed_refuses_a_non_empty_store_then_resets(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    first = run("seed", "--appeals", "300", "--days", "5", "--end", END, "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert "完成：300 条诉求" in first.stdout
    again = run("seed", "--appeals", "300", "--days", "5", "--end", END, "--database-url", url)
    assert_clean_failure(again, "--reset")
    reset = run("seed", "--appeals", "120", "--days", "5", "--end", END, "--database-url", url, "--reset")
    assert reset.returncode == 0, reset.stderr
    assert "完成：120 条诉求" in reset.stdout


def test_database_url_before_the_command_word_is_honoured(tmp_path):
    """``python app.py --database-url X seed`` seeds X, not the store DATABASE_URL names."""
    chosen, other = tmp_path / "chosen.sqlite3", tmp_path / "other.sqlite3"
    result = run("--database-url", f"sqlite:///{chosen}", "seed", "--appeals", "40", "--days", "2", "--end", END,
                 env={"DATABASE_URL": f"sqlite:///{other}", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert chosen.exists() and not other.exists()


@pytest.mark.parametrize("argv", [
    ["--database-url", "sqlite:///x.db"],
    ["--database-url", "sqlite:///x.db", "seed"],
    ["seed", "--database-url", "sqlite:///x.db"],
    ["--database-url", "sqlite:///x.db", "migrate"],
    ["migrate", "--database-url", "sqlite:///x.db"],
    ["--database-url", "sqlite:///x.db", "api-key", "list"],
    ["api-key", "--database-url", "sqlite:///x.db", "list"],
    ["--database-url", "sqlite:///x.db", "dead-letters"],
    ["dead-letters", "--database-url", "sqlite:///x.db"],
])
def test_the_database_url_flag_wins_wherever_it_stands(argv):
    defaults = config.load({"DATABASE_URL": "sqlite:///from-the-environment.db"})
    assert cli.parse(defaults, argv).database_url == "sqlite:///x.db"
    at = argv.index("--database-url")
    without = argv[:at] + argv[at + 2:]
    assert cli.parse(defaults, without).database_url == "sqlite:///from-the-environment.db"


def test_unreachable_database(tmp_path):
    result = run(
        "seed", "--appeals", "10", "--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    )
    assert_clean_failure(result, "数据库无法访问")


def test_naive_end_is_rejected():
    result = run("seed", "--end", "2026-11-20T12:00")
    assert_clean_failure(result, "时区")


def test_unsupported_url():
    result = run("migrate", "--database-url", "mysql://localhost/x")
    assert_clean_failure(result, "不支持的数据库")


@pytest.mark.postgis
def test_postgres_without_postgis(postgres):
    name = postgres.create(postgis=False)
    try:
        result = run("seed", "--appeals", "10", "--database-url", postgres.url(name))
        assert_clean_failure(result, "CREATE EXTENSION postgis")
    finally:
        postgres.drop(name)


def test_settings_table_lists_every_setting():
    result = run("settings")
    assert result.returncode == 0
    for name in ("DATABASE_URL", "DATA_DIR", "HOST", "PORT", "DEMO_SEED", "DEMO_APPEALS"):
        assert f"`{name}`" in result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_first_run_seeds_the_embedded_store_and_serves(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DEMO_APPEALS": "400", "DATABASE_URL": ""}
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    health = json.load(r)
                break
            except OSError:
                assert proc.poll() is None, "".join(lines)
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.5)
        assert health == {"status": "up"}
        assert (tmp_path / "data" / "zhizhi.sqlite3").exists()
        # The first accounts' passwords are printed once, like Jupyter's token.
        output = "".join(lines)
        passwords = dict(re.findall(r"^  (\w+)（.+?）  密码：(\S+)$", output, re.MULTILINE))
        assert set(passwords) == {"admin", "district"}, output
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/api/appeals?from=2022-01-01&limit=1", timeout=10)
        assert refused.value.code == 401  # nothing is served before signing in
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = browser.open(f"{base}/login", timeout=10).read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": "district", "password": passwords["district"], "csrf": csrf})
        with browser.open(f"{base}/login", data=form.encode(), timeout=10) as r:
            assert "智治大脑" in r.read().decode()  # redirected to the dashboard
        with browser.open(f"{base}/api/appeals?from=2022-01-01&limit=1", timeout=10) as r:
            assert json.load(r)["total"] == 400
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert "智治大脑" in r.read().decode()
            # Served by gunicorn, without a version banner for scanners, with the security headers.
            assert r.headers["Server"] == "gunicorn", r.headers["Server"]
            assert r.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:  # refused by the handler itself
            conn.sendall(b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
            answer = conn.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.") and " 431 " in answer.split("\r\n")[0], answer[:200]
        assert "werkzeug" not in answer.lower() and "gunicorn/" not in answer.lower(), answer
    finally:
        proc.terminate()
        proc.wait(timeout=20)
