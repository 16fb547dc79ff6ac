"""Command line: serve (default), seed, migrate, settings.

Every failure a user can cause ends with one clear line and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from dashboard import settings
from geo import seeding
from geo.store.errors import StoreError
from geo.store.store import Store


def parser(config: settings.Config) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python app.py", description="智治大脑 · 崂山区社会治理指挥中心")
    p.add_argument("--host", default=config.host, help=f"监听地址（默认 {config.host}）")
    p.add_argument("--port", type=_port, default=config.port, help=f"端口（默认 {config.port}）")
    p.add_argument("--database-url", default=config.database_url, help="存储 URL（默认读取 DATABASE_URL）")
    p.add_argument("--debug", action="store_true", help="Dash 调试模式")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("seed", help="生成演示数据")
    s.add_argument("--appeals", type=int, help="诉求条数（默认每天约 180 条）")
    s.add_argument("--days", type=int, help="历史天数（默认自 2022-10-20 上线起）")
    s.add_argument(
        "--end", type=_aware_datetime, help="“现在”，ISO 时间含时区；固定它可在两种后端得到相同数据"
    )
    s.add_argument("--seed", type=int, default=config.demo_seed, help="随机种子")
    s.add_argument("--database-url", default=config.database_url, help="存储 URL")
    s.add_argument("--reset", action="store_true", help="先删除现有全部数据")
    m = sub.add_parser("migrate", help="把数据库结构升级到最新版本（保留数据）")
    m.add_argument("--database-url", default=config.database_url)
    sub.add_parser("settings", help="列出全部设置（Markdown 表格）")
    return p


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


def main(argv: list[str] | None, build_app: Callable[[settings.Config], object]) -> int:
    try:
        config = settings.load()
    except ValueError as exc:
        return _fail(str(exc))
    args = parser(config).parse_args(argv)
    try:
        if args.command == "settings":
            print(settings.markdown_table())
            return 0
        store = Store(args.database_url)
        if args.command == "migrate":
            store.migrate()
            print(f"数据库结构已是最新版本：{store.schema_revision()}")
            return 0
        if args.command == "seed":
            seeding.seed(
                store, appeals=args.appeals, days=args.days, end=args.end, seed=args.seed, reset=args.reset
            )
            return 0
        return serve(args, config, store, build_app)
    except (StoreError, ValueError) as exc:
        return _fail(str(exc))


def serve(args, config: settings.Config, store: Store, build_app) -> int:
    store.migrate()
    if store.is_empty():
        print("首次运行：正在生成演示数据（约半分钟）…")
        seeding.seed(store, appeals=config.demo_appeals, seed=config.demo_seed)
    store.dispose()
    app = build_app(settings.Config(**{**config.__dict__, "database_url": args.database_url}))
    print(f"智治大脑已启动：http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return 2
