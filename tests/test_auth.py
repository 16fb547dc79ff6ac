"""Signing in: sessions, timeouts, throttles, the secret key, AUTH_DISABLED, the users CLI and the audit log."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import pytest
import redis
import sqlalchemy as sa
from openpyxl import load_workbook

from app import create_app
from dashboard import config, services
from dashboard.auth import accounts, throttle
from dashboard.tools import cli
from geo.access import OPERATOR
from geo.store.accounts import AUDIT_ACTIONS
from tests.conftest import CHECKOUT, TEST_PASSWORD, account_for, client_of, fake_analysis, sign_in

WINDOW = "from=2026-10-01&to=2026-11-21"
#: The tests' own Redis database (Redis on 127.0.0.1:6379 keeps nothing on disk).
REDIS_URL = "redis://127.0.0.1:6379/13"
#: Session, throttle and key mechanics are the web layer's, the same on either store: run them on SQLite only.
SESSIONS_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def app(make_app, writable_store):
    app = make_app(writable_store.url)
    app.server.config["audit_baseline"] = audit_baseline(writable_store)
    return app


def entries(app, action: str | None = None) -> list[dict]:
    """This test's audit entries (the seeded store's copy may hold earlier sessions' sign-ins)."""
    store = app.server.extensions[services.STORE_KEY]
    before = app.server.config.setdefault("audit_baseline", 0)
    return [e for e in store.audit_entries(OPERATOR, action=action, limit=10_000)["items"] if e["id"] > before]


def audit_baseline(store) -> int:
    items = store.audit_entries(OPERATOR, limit=1)["items"]
    return items[0]["id"] if items else 0


# -- signing in and out -----------------------------------------------------------------------


@SESSIONS_ONLY
def test_the_sign_in_page_is_chinese_and_a_wrong_password_is_refused_and_audited(app):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "账号" in page and "密码" in page and "登录" in page and 'lang="zh-CN"' in page
    username, _ = account_for(app, "street", "370212001")
    r = sign_in(client, username, "wrong-password")
    assert r.status_code == 401 and "账号或密码不正确" in r.get_data(as_text=True)
    assert client.get("/api/kpis").status_code == 401
    [failed] = entries(app, "login_failed")
    assert failed["actor"] == username and failed["address"] == "127.0.0.1"
    r = sign_in(client, username, TEST_PASSWORD)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get(f"/api/kpis?{WINDOW}").get_json()["id"] == "370212001"
    [login] = entries(app, "login")
    assert login["actor"] == username and login["role"] == "street" and login["scope_code"] == "370212001"


@SESSIONS_ONLY
def test_sign_out_ends_the_session_and_is_audited(app):
    client = client_of(app)
    assert "退出登录" in client.get("/_dash-layout").get_data(as_text=True)
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/api/kpis").status_code == 401
    assert entries(app, "logout")


@SESSIONS_ONLY
def test_an_unknown_account_fails_like_a_wrong_password(app):
    r = sign_in(app.server.test_client(), "nobody-here", "whatever-password")
    assert r.status_code == 401 and "账号或密码不正确" in r.get_data(as_text=True)


@SESSIONS_ONLY
def test_a_sign_in_without_its_csrf_token_is_refused(app):
    username, _ = account_for(app)
    client = app.server.test_client()
    r = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert r.status_code == 400 and client.get("/api/kpis").status_code == 401


@SESSIONS_ONLY
@pytest.mark.parametrize("target,lands", [("/?scope=street&id=370212001", "/?scope=street&id=370212001"),
                                          ("//evil.example/x", "/"), ("https://evil.example/", "/"),
                                          ("/\\evil.example", "/")])
def test_after_signing_in_only_local_pages_open(app, target, lands):
    username, _ = account_for(app)
    r = sign_in(app.server.test_client(), username, TEST_PASSWORD, next_path=target)
    assert r.headers["Location"] == lands


@SESSIONS_ONLY
def test_session_cookie_flags(app):
    username, _ = account_for(app)
    plain = sign_in(app.server.test_client(), username, TEST_PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    assert "Expires" not in plain  # a person's session cookie ends with the browser
    https = app.server.test_client()
    page = https.get("/login", base_url="https://zhizhi.example").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    r = https.post("/login", base_url="https://zhizhi.example",
                   data={"username": username, "password": TEST_PASSWORD, "csrf": csrf})
    assert "Secure" in r.headers["Set-Cookie"]


@SESSIONS_ONLY
@pytest.mark.parametrize("stamp,expired", [("seen_at", True), ("signed_in_at", True), (None, False)])
def test_sessions_end_when_idle_and_at_their_lifetime(app, stamp, expired):
    api, page = client_of(app), client_of(app)
    for client in (api, page):
        assert client.get(f"/api/kpis?{WINDOW}").status_code == 200
        if stamp:
            with client.session_transaction() as session:
                # 31 minutes idle (SESSION_IDLE_MINUTES=30), or signed in 13 hours ago (SESSION_MAX_HOURS=12).
                session[stamp] -= 31 * 60 if stamp == "seen_at" else 13 * 3600
    r = api.get(f"/api/kpis?{WINDOW}")
    assert (r.status_code == 401) is expired
    if expired:
        assert r.get_json()["error"] == "登录已超时，请重新登录"
        assert page.get("/").headers["Location"] == "/login?next=/&expired=1"
        assert api.get(f"/api/kpis?{WINDOW}").status_code == 401  # and it stays signed out


@SESSIONS_ONLY
def test_a_wall_signs_in_with_its_device_token_for_long(app):
    username, token = account_for(app, "screen", "370212001")
    wall = app.server.test_client()
    r = wall.get(f"/screen/login?token={token}&tour=60")
    assert r.status_code == 302 and r.headers["Location"] == "/screen/?tour=60"  # the token leaves the address bar
    assert "Expires" in r.headers["Set-Cookie"]  # survives a restart of the wall's browser
    with wall.session_transaction() as session:
        session["seen_at"] -= 2 * 86400  # a weekend with the wall's browser closed is no idle timeout
    assert wall.get("/screen/").status_code == 200
    assert entries(app, "device_login")[0]["actor"] == username
    bad = app.server.test_client().get("/screen/login?token=" + "x" * 43)
    assert bad.status_code == 401 and "令牌无效" in bad.get_data(as_text=True)
    accounts.reset_secret(app.server.extensions[services.STORE_KEY], username)  # a stolen token, rotated
    assert wall.get("/screen/_dash-layout").status_code == 401


# -- throttles ------------------------------------------------------------------------------------


@SESSIONS_ONLY
def test_failed_sign_ins_are_throttled_by_account(app):
    username, _ = account_for(app)
    client = app.server.test_client()
    for _ in range(throttle.LOGIN_PER_ACCOUNT.amount):
        assert sign_in(client, username, "wrong-password").status_code == 401
    r = sign_in(client, username, TEST_PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "秒后再试" in r.get_data(as_text=True)
    other, _ = account_for(app, "street", "370212001")
    assert sign_in(client, other, TEST_PASSWORD).status_code == 302  # another account is not blocked
    reasons = [e["detail"]["reason"] for e in entries(app, "login_failed")]
    assert reasons.count("wrong name or password") == 5 and "throttled" in reasons


@SESSIONS_ONLY
def test_failed_sign_ins_are_throttled_by_address(app):
    client = app.server.test_client()
    for i in range(throttle.LOGIN_PER_ADDRESS.amount):
        assert sign_in(client, f"guess-{i}", "wrong-password").status_code == 401
    username, _ = account_for(app)
    assert sign_in(client, username, TEST_PASSWORD).status_code == 429


@SESSIONS_ONLY
def test_wrong_api_keys_are_throttled_by_address(make_app, writable_store):
    app = make_app(writable_store.url, INGEST_API_KEYS="writer:the-right-key")
    client = app.server.test_client()
    codes = [client.get("/api/keys/me", headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(25)]
    assert codes[:20] == [403] * 20 and set(codes[20:]) == {429}
    r = client.get("/api/keys/me", headers={"X-API-Key": "the-right-key"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    other = client.get("/api/keys/me", headers={"X-API-Key": "the-right-key"},
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # the throttle is per address


@SESSIONS_ONLY
def test_throttle_counts_are_shared_by_processes_through_redis(make_app, writable_store):
    """Two server processes on one Redis: failures counted by one block guesses at the other."""
    db = redis.Redis.from_url(REDIS_URL)
    db.flushdb()
    try:
        first = make_app(writable_store.url, RATE_LIMIT_STORAGE=REDIS_URL)
        second = make_app(writable_store.url, RATE_LIMIT_STORAGE=REDIS_URL)
        username, _ = account_for(first)
        for i in range(throttle.LOGIN_PER_ACCOUNT.amount):
            app = (first, second)[i % 2]
            assert sign_in(app.server.test_client(), username, "wrong-password").status_code == 401
        assert sign_in(second.server.test_client(), username, TEST_PASSWORD).status_code == 429
        assert db.dbsize() > 0
    finally:
        db.flushdb()


# -- the session key and AUTH_DISABLED ------------------------------------------------------------------


@SESSIONS_ONLY
def test_the_session_key_is_made_once_on_first_run_and_shared(make_app, writable_store, tmp_path):
    environ = {"DATABASE_URL": writable_store.url, "DATA_DIR": str(tmp_path / "shared")}
    one, two = create_app(config.load(environ)), create_app(config.load(environ))
    key_file = tmp_path / "shared" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text()) == 64
    assert one.server.secret_key == two.server.secret_key == key_file.read_text()
    username, _ = account_for(one)
    client = one.server.test_client()
    sign_in(client, username, TEST_PASSWORD)
    cookie = client.get_cookie("zhizhi_session").value
    other = two.server.test_client()
    other.set_cookie("zhizhi_session", cookie)
    assert other.get(f"/api/kpis?{WINDOW}").status_code == 200  # a second process accepts the session
    rotated = create_app(config.load({**environ, "SECRET_KEY": "rotated-" + "k" * 40})).server.test_client()
    rotated.set_cookie("zhizhi_session", cookie)
    assert rotated.get("/api/kpis").status_code == 401  # a new key signs everyone out
    for app in (one, two):
        app.server.extensions[services.STORE_KEY].dispose()
    assert not list(CHECKOUT.glob("**/secret_key"))  # never in the repo


@SESSIONS_ONLY
def test_auth_disabled_serves_everyone_as_district_on_loopback_only(make_app, writable_store, tmp_path):
    app = make_app(writable_store.url, AUTH_DISABLED="1")
    assert app.server.test_client().get(f"/api/kpis?{WINDOW}").get_json()["id"] == "370212"
    with pytest.raises(ValueError, match="AUTH_DISABLED=1 只允许在本机回环地址"):
        make_app(writable_store.url, AUTH_DISABLED="1", HOST="0.0.0.0")
    result = subprocess.run([sys.executable, "app.py", "--host", "0.0.0.0", "--database-url", writable_store.url],
                            cwd=CHECKOUT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "AUTH_DISABLED": "1", "DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and result.stderr.startswith("错误：AUTH_DISABLED=1") and "Traceback" not in result.stderr


# -- the users CLI ------------------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``python app.py …`` in this process (the same ``main``; subprocesses cost seconds each)."""
    code = cli.main(list(argv), build_app=None)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_cli_adds_lists_resets_and_disables(writable_store, make_app, capsys):
    url = ["--database-url", writable_store.url]
    code, out, err = run(capsys, "users", "add", "zhonghan", "--role", "street", "--scope", "370212001",
                         "--name", "中韩街道办", *url)
    assert code == 0, err
    password = out.strip().splitlines()[-1]
    app = make_app(writable_store.url)
    assert sign_in(app.server.test_client(), "zhonghan", password).status_code == 302
    _, listed, _ = run(capsys, "users", "list", *url)
    assert "zhonghan\t中韩街道办\t街道\t370212001\t有效" in listed and password not in listed
    _, reset, _ = run(capsys, "users", "reset-password", "zhonghan", *url)
    new_password = reset.strip().splitlines()[-1]
    assert new_password != password
    assert sign_in(app.server.test_client(), "zhonghan", password).status_code == 401
    assert sign_in(app.server.test_client(), "zhonghan", new_password).status_code == 302
    assert run(capsys, "users", "disable", "zhonghan", *url)[0] == 0
    assert sign_in(app.server.test_client(), "zhonghan", new_password).status_code == 401
    assert "/screen/login?token=" in run(capsys, "users", "add", "hall-wall", "--role", "screen", "--scope",
                                         "370212001", *url)[1]
    for bad, words in ((["users", "add", "x y", "--role", "street", "--scope", "370212001"], "账号名"),
                       (["users", "add", "lost", "--role", "street", "--scope", "370212009"], "370212009"),
                       (["users", "add", "zhonghan", "--role", "district"], "已存在"),
                       (["users", "disable", "nobody"], "未找到账号")):
        code, _, err = run(capsys, *bad, *url)
        assert code == 2 and words in err and "Traceback" not in err, err
    actions = [e["action"] for e in entries(app)]
    assert {"user_created", "password_reset", "user_disabled"} <= set(actions)


def test_the_users_command_is_the_real_command_line(tmp_path):
    """One real subprocess: the command word, its flags and the exit status as a shell sees them."""
    result = subprocess.run([sys.executable, "app.py", "users", "list", "--database-url",
                             f"sqlite:///{tmp_path / 'none.sqlite3'}"], cwd=CHECKOUT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "DATA_DIR": str(tmp_path)})
    assert result.returncode == 0 and "库内还没有账号" in result.stdout, result.stderr


def test_first_accounts_are_made_once(writable_store):
    with writable_store.connect(write=True) as conn:
        conn.execute(sa.text("DELETE FROM users"))  # the copy may hold earlier tests' accounts
    first = accounts.bootstrap(writable_store)
    assert [(m.username, m.role) for m in first] == [("admin", "admin"), ("district", "district")]
    assert accounts.bootstrap(writable_store) == []


# -- the audit log ------------------------------------------------------------------------------------


def test_the_audit_log_is_append_only_in_the_database(writable_store):
    writable_store.record_audit("tests", "login")
    total = writable_store.audit_entries(OPERATOR)["total"]
    refused = ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"]
    if writable_store.backend.name == "postgis":
        refused.append("TRUNCATE audit_log")
    for statement in refused:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), writable_store.connect(write=True) as conn:
            conn.execute(sa.text(statement))
    writable_store.reset()  # a reseed keeps the accounts and the log
    assert writable_store.audit_entries(OPERATOR)["total"] == total >= 1


def test_no_code_updates_or_deletes_the_audit_log():
    """Besides the database's triggers: no module even writes such a statement."""
    for path in [*(CHECKOUT / "geo").rglob("*.py"), *(CHECKOUT / "dashboard").rglob("*.py"),
                 *(CHECKOUT / "callbacks").rglob("*.py")]:
        text = path.read_text()
        assert "audit_log.update" not in text and "audit_log.delete" not in text, path
        assert "UPDATE audit_log" not in text and "DELETE FROM audit_log" not in text, path


def test_admins_read_filter_and_export_the_audit_log(app):
    client = client_of(app)
    client.get(f"/export/appeals.xlsx?scope=street&id=370212001&{WINDOW}")
    sign_in(app.server.test_client(), '=HYPERLINK("http://x.invalid","点击")', "wrong-password")
    admin = client_of(app, "admin")
    page = admin.get("/admin?action=export").get_data(as_text=True)
    assert "导出" in page and "370212001" in page and "登录失败" not in page.split('id="audit"')[1]
    everything = admin.get("/admin").get_data(as_text=True)
    assert "登录失败" in everything and "test-district-district" in everything
    r = admin.get("/admin/audit.xlsx")
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "时间", "操作", "账号")
    actions = [row[2] for row in rows[1:]]
    assert {"登录", "导出", "登录失败"} <= set(actions)
    forged = next(c for c in sheet["D"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert forged.data_type == "s"  # a name typed at the sign-in page is text, never a formula
    assert entries(app, "audit_exported")
    assert admin.get("/admin?action=drop-table").status_code == 200  # a bad filter is a notice, not a 500


def test_every_export_is_audited_with_scope_and_window(app):
    client = client_of(app, "street", "370212001")
    assert client.get(f"/export/appeals.xlsx?{WINDOW}&kind=development").status_code == 200
    [entry] = entries(app, "export")
    assert entry["scope_code"] == "370212001" and entry["actor"] == "test-street-370212001"
    assert entry["detail"] == {"format": "xlsx", "from": "2026-10-01", "to": "2026-11-21", "kind": "development"}


def test_admin_manages_accounts_in_the_page(app):
    admin = client_of(app, "admin")
    page = admin.get("/admin").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    made = admin.post("/admin/users", data={"csrf": csrf, "op": "add", "username": "shazikou", "role": "street",
                                            "scope": "370212002", "display_name": "沙子口街道"})
    assert made.status_code == 200
    password = made.get_data(as_text=True).split('id="new-secret">')[1].split("<")[0]
    assert sign_in(app.server.test_client(), "shazikou", password).status_code == 302
    assert admin.post("/admin/users", data={"op": "disable", "username": "shazikou"}).status_code == 400  # no CSRF
    assert admin.post("/admin/users", data={"csrf": csrf, "op": "disable", "username": "shazikou"}).status_code == 200
    assert sign_in(app.server.test_client(), "shazikou", password).status_code == 401
    refused = client_of(app).post("/admin/users", data={"csrf": csrf, "op": "add", "username": "x1", "role": "admin"})
    assert refused.status_code == 403


def test_every_audited_action_leaves_its_entry(make_app, writable_store, capsys):
    """Each action the audit log promises, done once the way a user does it, leaves its entry."""
    app = make_app(writable_store.url, INGEST_API_KEYS="ops:admin-key-for-tests:admin")
    app.server.config["audit_baseline"] = audit_baseline(writable_store)
    url = ["--database-url", writable_store.url]
    person = accounts.add_account(writable_store, "auditee", "street", "370212001", password="auditee-password")
    client = app.server.test_client()
    sign_in(client, "auditee", "wrong-password")                                   # login_failed
    sign_in(client, "auditee", person.secret)                                      # login
    client.get(f"/export/appeals.xlsx?{WINDOW}")                                   # export
    appeal = client.get(f"/api/appeals?{WINDOW}&limit=1").get_json()["items"][0]
    body = {"output": '{"appeal":["MATCH"],"type":"appeal-full"}.children',
            "outputs": {"id": {"type": "appeal-full", "appeal": str(appeal["id"])}, "property": "children"},
            "inputs": [{"id": {"type": "unmask", "appeal": str(appeal["id"])}, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f'{{"appeal":"{appeal["id"]}","type":"unmask"}}.n_clicks']}
    client.post("/_dash-update-component", json=body)                              # unmask
    fake_analysis(writable_store)
    item = next(i for i in client.get("/api/proactive-items").get_json()["items"] if i["scope_code"] == "370212001")
    client.post(f"/api/proactive-items/{item['id']}/status", json={"status": "dispatched"})  # proactive_item_changed
    client.post("/logout")                                                         # logout
    wall = accounts.add_account(writable_store, "audit-wall", "screen", "370212001")  # user_created
    app.server.test_client().get(f"/screen/login?token={wall.secret}")             # device_login
    accounts.reset_secret(writable_store, "auditee")                               # password_reset
    accounts.disable_account(writable_store, "auditee")                            # user_disabled
    assert run(capsys, "api-key", *url, "create", "feed")[0] == 0                  # api_key_created
    assert run(capsys, "api-key", *url, "revoke", "feed")[0] == 0                  # api_key_revoked
    writable_store.file_dead_letters("appeals", [("{}", ["测试"])], "ops")
    letter = writable_store.dead_letters()["items"][0]
    app.server.test_client().post(f"/api/dead-letters/{letter['id']}/replay",
                                  headers={"X-API-Key": "admin-key-for-tests"},
                                  content_type="application/json")                 # dead_letter_replayed
    client_of(app, "admin").get("/admin/audit.xlsx")                               # audit_exported
    done = {e["action"] for e in entries(app)}
    assert done == set(AUDIT_ACTIONS), set(AUDIT_ACTIONS) ^ done
    [unmask] = entries(app, "unmask")
    assert unmask["actor"] == "auditee" and unmask["detail"] == {"appeal_id": appeal["id"]}
