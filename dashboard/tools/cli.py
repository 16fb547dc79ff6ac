"""Command line: serve (default; gunicorn, or Werkzeug with --dev), seed, migrate, settings, api-key, dead-letters, simulate.

Every failure a user can cause ends with one clear line and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from dashboard.auth import accounts
from dashboard.config import Config, load, markdown_table
from dashboard.http.headers import QuietRequestHandler
from dashboard.ingest.keys import env_keys
from dashboard.ingest.replay import replay
from dashboard.tools import housekeeping, server, simulator
from geo import seeding
from geo.access import ROLE_LABELS
from geo.analysis.run import AnalysisBusy, analyze
from geo.domain import LOCAL_TZ
from geo.store.errors import StoreError
from geo.store.store import Store


def parser(config: Config) -> argparse.ArgumentParser:
    # Declared once, accepted before or after the command word. No default here (see parse): a command's
    # parser would otherwise overwrite a value given before the command word with that default.
    store_flag = argparse.ArgumentParser(add_help=False)
    store_flag.add_argument("--database-url", default=argparse.SUPPRESS, help="存储 URL（默认读取 DATABASE_URL）")
    p = argparse.ArgumentParser(prog="python app.py", description="智治大脑 · 崂山区社会治理指挥中心",
                                parents=[store_flag])
    p.add_argument("--host", default=config.host, help=f"监听地址（默认 {config.host}）")
    p.add_argument("--port", type=_port, default=config.port, help=f"端口（默认 {config.port}）")
    p.add_argument("--dev", action="store_true",
                   help="开发模式：Werkzeug 开发服务器，改代码自动重启，Dash 调试工具（仅供本机开发）")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("seed", help="生成演示数据", parents=[store_flag])
    s.add_argument("--appeals", type=int, help="诉求条数（默认每天约 180 条）")
    s.add_argument("--days", type=int, help="历史天数（默认自 2022-10-20 上线起）")
    s.add_argument(
        "--end", type=_aware_datetime, help="“现在”，ISO 时间含时区；固定它可在两种后端得到相同数据"
    )
    s.add_argument("--seed", type=int, default=config.demo_seed, help="随机种子")
    s.add_argument("--reset", action="store_true", help="先删除现有全部数据")
    sub.add_parser("migrate", help="把数据库结构升级到最新版本（保留数据）", parents=[store_flag])
    a = sub.add_parser("analyze", help="运行未诉先办分析（新兴热点、季节预测、重复诉求、重点人群），更新清单",
                       parents=[store_flag])
    a.add_argument("--as-of", type=_aware_datetime, help="按哪一时刻分析，ISO 时间含时区（默认现在；可复现过去的清单）")
    sub.add_parser("settings", help="列出全部设置（Markdown 表格）")
    k = sub.add_parser("api-key", help="管理摄入接口的 API 密钥（库内只存哈希）", parents=[store_flag])
    ks = k.add_subparsers(dest="action", required=True)
    create = ks.add_parser("create", help="新建密钥并显示一次")
    create.add_argument("name", help="写入方名称，如 hotline")
    create.add_argument("--admin", action="store_true", help="管理员密钥：还可查看、重放死信（含原始个人信息）")
    ks.add_parser("list", help="列出密钥（不含密钥本身）")
    ks.add_parser("revoke", help="吊销密钥").add_argument("name")
    u = sub.add_parser("users", help="管理登录账号（库内只存密码哈希）", parents=[store_flag])
    us = u.add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="新建账号，初始密码（大屏：设备令牌）只显示一次", parents=[store_flag])
    add.add_argument("username", help="登录名，如 zhonghan-leader")
    add.add_argument("--role", required=True, choices=list(ROLE_LABELS),
                     help="district 区级 / street 街道 / community 社区 / screen 大屏 / admin 管理员")
    add.add_argument("--scope", help="街道（9 位）或社区（12 位）编码；大屏可填任一级编码；区级、管理员不填")
    add.add_argument("--name", default="", help="显示的姓名或单位")
    us.add_parser("list", help="列出账号（不含密码）", parents=[store_flag])
    us.add_parser("disable", help="停用账号，其已登录的会话立即失效", parents=[store_flag]).add_argument("username")
    us.add_parser("reset-password", help="重置密码（大屏：更换设备令牌）并显示一次",
                  parents=[store_flag]).add_argument("username")
    d = sub.add_parser("dead-letters", help="列出被拒收的载荷（死信），或重放其中一条", parents=[store_flag])
    d.add_argument("--all", action="store_true", help="也列出已重放的")
    d.add_argument("--limit", type=_positive_int, default=50, help="最多列出几条（默认 50）")
    d.add_argument("--replay", type=_positive_int, metavar="ID", help="按原接口重新处理这条死信")
    m = sub.add_parser("simulate", help="经 HTTP 摄入接口向运行中的服务发送模拟诉求、流程事件和网格员位置")
    m.add_argument("--rate", type=_non_negative_float, default=10.0, help="每分钟新诉求数（默认 10）")
    m.add_argument("--workers", type=_non_negative_int, default=50, help="上报位置的网格员人数（默认 50）")
    m.add_argument("--speedup", type=_positive_float, default=600.0,
                   help="流程加速倍数：办理时长除以它（默认 600，一小时的办理 6 秒走完）")
    m.add_argument("--ping-every", type=_positive_float, default=5.0, help="位置上报间隔秒数（默认 5）")
    m.add_argument("--url", default=f"http://{config.host}:{config.port}", help="服务地址")
    m.add_argument("--api-key", help="摄入密钥（默认取 INGEST_API_KEYS 中的第一个）")
    m.add_argument("--duration", type=_positive_float, help="运行秒数（默认一直运行，Ctrl-C 结束）")
    m.add_argument("--seed", type=int, default=config.demo_seed, help="随机种子")
    return p


def parse(config: Config, argv: list[str] | None) -> argparse.Namespace:
    """The command line; ``--database-url`` wherever it stands, else the DATABASE_URL setting."""
    args = parser(config).parse_args(argv)
    if not hasattr(args, "database_url"):
        args.database_url = config.database_url
    return args


def _positive_int(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} 不是正整数")
    return int(raw)


def _non_negative_int(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise argparse.ArgumentTypeError(f"{raw!r} 不是非负整数")
    return int(raw)


def _number(raw: str, low: float, what: str, strict: bool) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < low or (strict and value == low):
        raise argparse.ArgumentTypeError(f"{raw!r} 不是{what}")
    return value


def _positive_float(raw: str) -> float:
    return _number(raw, 0, "正数", strict=True)


def _non_negative_float(raw: str) -> float:
    return _number(raw, 0, "非负数", strict=False)


def _port(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise argparse.ArgumentTypeError(f"{raw!r} 不是有效端口（1–65535）")
    return int(raw)


def _aware_datetime(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} 不是 ISO 8601 时间") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("时间必须带时区，例如 2026-11-27T12:00:00+08:00")
    return value


def main(argv: list[str] | None, build_app: Callable[[Config], object]) -> int:
    try:
        config = load()
    except ValueError as exc:
        return _fail(str(exc))
    args = parse(config, argv)
    try:
        if args.command == "settings":
            print(markdown_table())
            return 0
        if args.command == "simulate":
            return simulate(args, config)
        store = Store(args.database_url)
        if args.command == "migrate":
            store.migrate()
            print(f"数据库结构已是最新版本：{store.schema_revision()}")
            return 0
        if args.command == "analyze":
            return run_analysis(args, store)
        if args.command == "seed":
            seeding.seed(
                store, appeals=args.appeals, days=args.days, end=args.end, seed=args.seed, reset=args.reset
            )
            return 0
        if args.command == "api-key":
            return api_key(args, store)
        if args.command == "dead-letters":
            return dead_letters(args, store)
        if args.command == "users":
            return users(args, store)
        return serve(args, config, store, build_app)
    except (StoreError, ValueError, simulator.SimulationError) as exc:
        return _fail(str(exc))


def run_analysis(args, store: Store) -> int:
    """One run now (or for ``--as-of``), printing each step's findings and the list's changes."""
    store.migrate()
    try:
        result = analyze(store, args.as_of)
    except AnalysisBusy as exc:
        return _fail(str(exc))
    seconds = sum(result["seconds"].values())
    print(f"完成：第 {result['run_id']} 次分析，数据截至 {result['as_of']}，用时 {seconds:.1f} 秒")
    return 0


def api_key(args, store: Store) -> int:
    """Keys are shown once at creation; afterwards only their names and dates, since only hashes are kept."""
    if args.action == "create":
        key = store.create_api_key(args.name, "admin" if args.admin else "writer")
        store.record_audit("cli", "api_key_created", detail={"name": args.name, "admin": args.admin})
        role = "管理员" if args.admin else "写入"
        print(f"已为 {args.name} 创建{role} API 密钥（只显示这一次，请妥善保存）：\n{key}")
    elif args.action == "revoke":
        store.revoke_api_key(args.name)
        store.record_audit("cli", "api_key_revoked", detail={"name": args.name})
        print(f"已吊销 {args.name} 的 API 密钥")
    else:
        keys = store.api_keys()
        if not keys:
            print("库内没有 API 密钥（INGEST_API_KEYS 中的密钥不在此列）")
        for k in keys:
            state = f"已吊销 {_local(k['revoked_at'])}" if k["revoked_at"] else "有效"
            role = "管理员" if k["role"] == "admin" else "写入"
            print(f"{k['name']}\t{role}\t创建于 {_local(k['created_at'])}\t{state}")
    return 0


def users(args, store: Store) -> int:
    """Secrets are shown once, when made or reset; afterwards only names, roles and states."""
    store.migrate()
    if args.action == "add":
        made = accounts.add_account(store, args.username, args.role, args.scope, args.name)
        print(_secret_text(made))
    elif args.action == "reset-password":
        print(_secret_text(accounts.reset_secret(store, args.username)))
    elif args.action == "disable":
        accounts.disable_account(store, args.username)
        print(f"已停用账号 {args.username}，其已登录的会话在下一次请求时结束")
    else:
        lines = accounts.account_lines(store)
        print("\n".join(lines) if lines else "库内还没有账号（首次运行 python app.py 时会创建）")
    return 0


def _secret_text(made: accounts.NewSecret) -> str:
    if made.is_token:
        return (f"大屏账号 {made.username} 的设备令牌（只显示这一次）：\n{made.secret}\n"
                f"在大屏上打开 http://服务器地址/screen/login?token={made.secret} 即可长期登录")
    return f"账号 {made.username}（{ROLE_LABELS[made.role]}）的密码（只显示这一次，请妥善转交）：\n{made.secret}"


#: Payloads are shown cut to this many characters: enough to recognise one, not a wall of JSON.
PAYLOAD_PREVIEW = 120


def dead_letters(args, store: Store) -> int:
    """Lists pending dead letters (all with --all), or replays one through its endpoint's own code path."""
    if args.replay is not None:
        result, status = replay(store, store.dead_letter(args.replay), "cli")
        store.record_audit("cli", "dead_letter_replayed", detail={"dead_letter": args.replay, "status": status})
        if status != 200:
            detail = result.get("error") or result.get("result")
            return _fail(f"死信 {args.replay} 未能重放：{detail}")
        print(f"已重放死信 {args.replay}：{result['result']}")
        return 0
    page = store.dead_letters(limit=args.limit, pending=not args.all)
    kind = "全部" if args.all else "待处理"
    print(f"{kind}死信共 {page['total']} 条" + (f"，显示前 {len(page['items'])} 条" if page["total"] > len(page["items"]) else ""))
    for item in page["items"]:
        payload = item["payload"].replace("\n", " ")
        if len(payload) > PAYLOAD_PREVIEW:
            payload = payload[:PAYLOAD_PREVIEW] + "…"
        replayed = f"（已重放 {_local(item['replayed_at'])}）" if item["replayed_at"] else ""
        print(f"#{item['id']}  {_local(item['received_at'])}  {item['endpoint']}  来自 {item['key_name'] or '-'}{replayed}")
        print(f"    原因：{'；'.join(item['reasons'])}")
        print(f"    载荷：{payload}")
    return 0


def _local(value) -> str:
    """A stored time (datetime or ISO text) in Beijing time, to the second."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def simulate(args, config: Config) -> int:
    """Traffic through the HTTP API only; the key defaults to the first of INGEST_API_KEYS."""
    key = args.api_key or next(iter(env_keys(config.ingest_api_keys)), None)
    if not key:
        return _fail("需要摄入 API 密钥：用 --api-key 指定，或设置 INGEST_API_KEYS（python app.py api-key create NAME 可新建）")
    try:
        stats = simulator.simulate(args.url, key, rate=args.rate, workers=args.workers, speedup=args.speedup,
                                   duration=args.duration, seed=args.seed, ping_every=args.ping_every)
    except KeyboardInterrupt:  # before the run began (waiting for the server, building the pool)
        print("已中断")
        return 0
    for line in stats.rejections[:5]:
        print(f"  被拒：{line}")
    return 0


def serve(args, config: Config, store: Store, build_app) -> int:
    config = Config(**{**config.__dict__, "database_url": args.database_url, "host": args.host, "port": args.port})
    app = build_app(config)  # first: a refused setting (AUTH_DISABLED off loopback) stops before any work
    store.migrate()
    if store.is_empty():
        print("首次运行：正在生成演示数据（约半分钟）…")
        seeding.seed(store, appeals=config.demo_appeals, seed=config.demo_seed)
    first = accounts.bootstrap(store)
    if first:
        print("首次运行：已创建以下账号，密码只显示这一次，请记下（之后可用 python app.py users reset-password 重置）：")
        for made in first:
            print(f"  {made.username}（{ROLE_LABELS[made.role]}）  密码：{made.secret}")
    store.dispose()
    if config.auth_disabled:
        print("AUTH_DISABLED=1：未启用登录，所有访问者都按区级账号对待（只允许本机访问）")
    if args.dev:
        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":  # the reloader's serving child, not its watcher
            housekeeping.start(config)
        print(f"智治大脑已启动（开发模式）：http://{args.host}:{args.port}/")
        app.run(host=args.host, port=args.port, debug=True, request_handler=QuietRequestHandler)
        return 0
    print(f"智治大脑已启动：http://{args.host}:{args.port}/（{config.web_workers} 个服务进程，"
          f"每个 {config.web_threads} 个线程）", flush=True)
    server.serve(lambda: build_app(config).server, config)
    return 0


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return 2
