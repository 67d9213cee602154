"""`cockpit` command line: ingest, snapshots, demo, bootstrap, check, query, scores, quality, brief,
tokens, users, serve, spark-server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cockpit.settings import get_settings


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", type=Path, default=None,
                   help="snapshot store directory (default: $COCKPIT_STORE or data/store)")


def _store(args: argparse.Namespace) -> Path:
    return args.store if args.store is not None else get_settings().store


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="cockpit", description="治理驾驶舱 Governance Cockpit")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="validate a drop folder and publish it as a new snapshot")
    p.add_argument("folder", type=Path)
    p.add_argument("--backdate", action="store_true",
                   help="allow an as_of before the live snapshot's (e.g. to correct or replay a drop); "
                        "never one in the future")
    _store_arg(p)

    p = sub.add_parser("snapshots", help="list published snapshots")
    _store_arg(p)

    p = sub.add_parser("demo", help="write a contract-conforming demo drop")
    p.add_argument("--requests", type=int, default=300_000, help="number of requests (default 300000)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", type=Path, default=Path("data/demo-drop"))
    p.add_argument("--as-of", default="2026-11-25", help="manifest as_of date (YYYY-MM-DD)")

    p = sub.add_parser("bootstrap", help="build and publish the demo data when the store is empty")
    p.add_argument("--requests", type=int, default=300_000)
    _store_arg(p)

    p = sub.add_parser("check", help="validate every layout and panel declaration")
    _store_arg(p)
    p.add_argument("--layouts", type=Path, default=None, help="layouts directory (default: layouts/)")

    p = sub.add_parser("query", help="print one panel's result on the live snapshot (CSV or JSON)")
    p.add_argument("panel", help="panel id (a file layouts/panels/PANEL.toml)")
    p.add_argument("--engine", choices=["duckdb", "spark"], default=None,
                   help="engine to run on (default: $COCKPIT_ENGINE, else duckdb)")
    p.add_argument("--region", default=None, help="region code (default: the top of the jurisdiction)")
    p.add_argument("--period", default=None, help="YYYY-MM (default: the latest month)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--query", default=None, help="one of the panel's [queries] instead of its sql")
    p.add_argument("--layouts", type=Path, default=None, help="layouts directory (default: layouts/)")
    _store_arg(p)

    p = sub.add_parser("spark-server", help="run a local Spark Connect server (local[2], UTC, TIMESTAMP_NTZ) "
                                            "for COCKPIT_ENGINE=spark; Ctrl-C stops it")
    p.add_argument("--port", type=int, default=15002)

    p = sub.add_parser("scores", help="street composite scores and ranks for one period")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--region", default=None, help="limit to the streets under this region code")
    p.add_argument("--format", choices=["csv", "table"], default="table")
    _store_arg(p)

    p = sub.add_parser("quality", help="data-quality flags of the live snapshot: flag, table, count, example ids")
    p.add_argument("--region", default=None, help="limit to the rows under this region code")
    p.add_argument("--format", choices=["csv", "json", "table"], default="table")
    _store_arg(p)

    p = sub.add_parser("brief", help="the briefing (汇报材料) of a page as PDF, made with Chromium")
    p.add_argument("--page", required=True, help="page id or path, e.g. overview or requests")
    p.add_argument("--region", default=None, help="region code (default: the top of the tree)")
    p.add_argument("--period", default=None, help="YYYY-MM (default: the latest month)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    _store_arg(p)

    p = sub.add_parser("tokens", help="display tokens: read-only keys that open one wall for one region")
    tok = p.add_subparsers(dest="action", required=True)
    t = tok.add_parser("create", help="a new token for a wall; prints its id first and the wall's URL last")
    t.add_argument("--wall", required=True, help="wall name (a file layouts/walls/NAME.toml)")
    t.add_argument("--region", default=None, help="region code the wall shows (default: the top of the tree)")
    t.add_argument("--label", default=None, help="where the screen is, e.g. 'lobby kiosk'")
    t.add_argument("--layouts", type=Path, default=None, help="layouts directory (default: layouts/)")
    _store_arg(t)
    tok.add_parser("list", help="every token with its wall, region, status and last use")
    t = tok.add_parser("revoke", help="revoke a token by id")
    t.add_argument("id")

    p = sub.add_parser("users", help="accounts of leaders, analysts and admins (role + jurisdiction)")
    usr = p.add_subparsers(dest="action", required=True)
    u = usr.add_parser("add", help="a new account")
    u.add_argument("name")
    u.add_argument("--role", required=True, choices=["leader", "analyst", "admin"])
    u.add_argument("--region", required=True, help="region code of the account's jurisdiction")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _store_arg(u)
    usr.add_parser("list", help="every account with role, region and status")
    u = usr.add_parser("disable", help="disable an account (its sessions end)")
    u.add_argument("name")
    u = usr.add_parser("passwd", help="set a new password (its sessions end)")
    u.add_argument("name")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    p = sub.add_parser("warm", help="fill the shared result cache for the live snapshot's top levels "
                                    "(cockpit ingest starts it after publishing)")
    p.add_argument("--layouts", type=Path, default=None, help="declarations folder (default: $COCKPIT_LAYOUTS)")
    p.add_argument("--seconds", type=float, default=None, help="time budget (default: $COCKPIT_WARM_S, 60)")
    _store_arg(p)

    p = sub.add_parser("serve", help="serve the cockpit (Dash dev server; use gunicorn app:server in production)")
    p.add_argument("--dev", action="store_true", help="reload when a declaration file changes")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    _store_arg(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cockpit` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "ingest":
        from cockpit.ingest import cli_ingest
        code = cli_ingest(args.folder, _store(args), backdate=args.backdate)
        if code == 0:
            from cockpit.web.warm import start_background  # the cache, in a process of its own
            if start_background(_store(args)) is not None:
                print(f"warming the result cache for the top levels in the background (log: "
                      f"{_store(args) / 'warm.log'})")
        return code
    if args.command == "warm":
        from cockpit.web.warm import cli_warm
        return cli_warm(_store(args), args.layouts, seconds=args.seconds)
    if args.command == "snapshots":
        from cockpit.store import cli_snapshots
        return cli_snapshots(_store(args))
    if args.command == "demo":
        from cockpit.demo import write_demo_drop
        out = write_demo_drop(args.out, requests=args.requests, seed=args.seed, as_of=args.as_of)
        print(f"demo drop written to {out}")
        return 0
    if args.command == "bootstrap":
        from cockpit.ingest import bootstrap_demo
        return bootstrap_demo(_store(args), requests=args.requests)
    if args.command == "check":
        from cockpit.specs.check import cli_check
        return cli_check(_store(args), args.layouts or get_settings().layouts)
    if args.command == "query":
        from cockpit.specs.panel_query import cli_query
        return cli_query(_store(args), args.layouts or get_settings().layouts, args.panel, engine=args.engine,
                         region=args.region, period=args.period, fmt=args.format, query=args.query)
    if args.command == "spark-server":
        from cockpit.engines.spark_server import serve_foreground
        return serve_foreground(args.port)
    if args.command == "scores":
        from cockpit.analytics.scores import cli_scores
        return cli_scores(_store(args), period=args.period, region=args.region, fmt=args.format)
    if args.command == "quality":
        from cockpit.analytics.quality import cli_quality
        return cli_quality(_store(args), region=args.region, fmt=args.format)
    if args.command == "brief":
        from cockpit.web.brief_cli import cli_brief
        return cli_brief(_store(args), args.page, args.region, args.out, lang=args.lang, period=args.period)
    if args.command == "tokens":
        from cockpit.access.cli import cli_tokens
        s = get_settings()
        return cli_tokens(args, _store(args) if hasattr(args, "store") else s.store,
                          getattr(args, "layouts", None) or s.layouts, s.accounts_db)
    if args.command == "users":
        from cockpit.access.cli import cli_users
        s = get_settings()
        return cli_users(args, _store(args) if hasattr(args, "store") else s.store, s.accounts_db)
    if args.command == "serve":
        from cockpit.web.serve import serve
        return serve(store=_store(args), host=args.host, port=args.port, dev=args.dev)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
