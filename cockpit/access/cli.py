"""`cockpit tokens …` (display tokens for walls) and `cockpit users …` (accounts)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import getpass

from cockpit.access import tokens, users


def _live_regions(store: Path):
    """The live snapshot's region index, or None when nothing is published yet."""
    from cockpit.db import Database
    from cockpit.regions import region_index

    db = Database(store)
    live = db.live_id()
    return region_index(db, live) if live else None


def _table(columns: list[tuple[str, int]], rows: list[tuple]) -> None:
    """Print rows under a header, each column padded to its width (0: the last, unpadded)."""
    for row in [tuple(name for name, _ in columns), *rows]:
        print(" ".join(f"{str(v):<{w}}" if w else str(v) for v, (_, w) in zip(row, columns)).rstrip())


def cli_tokens(args, store: Path, layouts: Path, accounts_db: Path) -> int:
    """Run one `cockpit tokens` action; messages name what is wrong and exit 2."""
    if args.action == "list":
        rows = tokens.list_tokens(accounts_db)
        if not rows:
            print("no display tokens yet: cockpit tokens create --wall NAME")
            return 0
        _table([("id", 15), ("wall", 20), ("region", 10), ("status", 8), ("created", 26), ("last used", 26),
                ("label", 0)],
               [(t.id, t.wall, t.region, "active" if t.active else "revoked", t.created_at, t.last_used_at or "—",
                 t.label) for t in rows])
        return 0
    if args.action == "revoke":
        if tokens.revoke(accounts_db, args.id):
            print(f"revoked {args.id}: walls opened with it stop at their next check")
            return 0
        print(f"cockpit tokens revoke: no active token {args.id!r} (see cockpit tokens list)", file=sys.stderr)
        return 2
    # create
    from cockpit.specs.loader import load_catalog

    catalog = load_catalog(layouts)
    if args.wall not in catalog.walls:
        known = ", ".join(sorted(catalog.walls)) or "none"
        print(f"cockpit tokens create: no wall named {args.wall!r} in {layouts}/walls (walls: {known})",
              file=sys.stderr)
        return 2
    index = _live_regions(store)
    region = args.region
    if index is not None:
        if region is None:
            region = index.tops[0] if index.tops else None
        if region is None or index.get(region) is None:
            print(f"cockpit tokens create: region {region!r} is not in the live snapshot", file=sys.stderr)
            return 2
        name = index.get(region).name
    elif region is None:
        print("cockpit tokens create: no snapshot is published yet, so give --region CODE", file=sys.stderr)
        return 2
    else:
        name = "?"
    token, text = tokens.create(accounts_db, args.wall, region, args.label or "")
    print(token.id)
    print(f"wall {token.wall} · region {region} {name} · label {token.label or '—'}")
    print("keep this URL secret: it opens the wall without a login (revoke with cockpit tokens revoke ID)")
    print(f"/wall/{quote(token.wall)}?token={text}")
    return 0


def _read_password(args, confirm: bool = True) -> str:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        raise users.AccountError("the two passwords differ")
    return first


def cli_users(args, store: Path, accounts_db: Path) -> int:
    """Run one `cockpit users` action; a refused request says why and exits 2."""
    try:
        if args.action == "list":
            rows = users.list_users(accounts_db)
            if not rows:
                print("no accounts yet: cockpit users add NAME --role admin --region CODE")
                return 0
            _table([("name", 20), ("role", 8), ("region", 10), ("status", 9), ("created", 0)],
                   [(u.name, u.role, u.region, "active" if u.active else "disabled", u.created_at) for u in rows])
            return 0
        if args.action == "add":
            index = _live_regions(store)
            if index is not None and index.get(args.region) is None:
                raise users.AccountError(f"region {args.region!r} is not in the live snapshot")
            user = users.add(accounts_db, args.name, args.role, args.region, _read_password(args))
            users.audit(accounts_db, "cli", "users_add", f"{user.name} {user.role} {user.region}")
            print(f"added {user.name}: {user.role} of region {user.region}")
            return 0
        if args.action == "disable":
            if not users.disable(accounts_db, args.name):
                raise users.AccountError(f"no active account {args.name!r}")
            users.audit(accounts_db, "cli", "users_disable", args.name)
            print(f"disabled {args.name}: it cannot log in, and its open sessions end")
            return 0
        if args.action == "passwd":
            if users.get(accounts_db, args.name) is None:
                raise users.AccountError(f"no account {args.name!r}")
            users.set_password(accounts_db, args.name, _read_password(args))
            users.audit(accounts_db, "cli", "users_passwd", args.name)
            print(f"password of {args.name} changed; its open sessions end")
            return 0
    except users.AccountError as exc:
        print(f"cockpit users {args.action}: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(args.action)
