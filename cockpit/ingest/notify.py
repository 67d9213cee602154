"""Push what a publication brings to a configured webhook: new early warnings and newly overdue
items, each once, with links to their case lists.

After `cockpit ingest` publishes a snapshot, and only when `COCKPIT_WEBHOOK_URL` is set:

- **early warnings** of the new snapshot (`cockpit.analytics.warning`, whole tree) whose run
  (street × category, since) was never pushed before;
- **newly overdue requests**: open and past due at the end of the new as_of day, but not yet past
  due at the end of the as_of day of the last accepted push (before any: of the snapshot before
  the first push; every overdue one when there is none), listed per street;
- **newly overdue ledger items**: not done, due before the new as_of, not before that day.

Each item is pushed once: the keys of what a webhook accepted (HTTP 2xx) are kept in
`STORE/notifications.sqlite`; a failed push is retried with the next publication. A message
lists at most `MAX_LISTED` entries per kind and counts the rest (they count as pushed: the case
list link shows them). The body is JSON (`COCKPIT_WEBHOOK_FORMAT=json`) or a DingTalk robot's
markdown message (`dingtalk`). A push never fails the ingest: problems are logged.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from cockpit.analytics.warning import EARLY_WARNINGS_SQL
from cockpit.ingest.merge import Log
from cockpit.settings import Settings
from cockpit.snapshot import connect_snapshot
from cockpit.store import Store

MAX_LISTED = 50
IDS_PER_STREET = 20
LOG_FILE = "notifications.sqlite"

_OVERDUE_REQUESTS_SQL = """
select r.street_code, g.name as street_name, p.name as county_name,
       list(r.request_id order by r.due_at, r.request_id) as request_ids
from requests r
left join regions g on g.region_code = r.street_code
left join regions p on p.region_code = g.parent_code
where r.closed_at is null
  and r.due_at < cast($as_of as timestamp) + interval 1 day
  and ($prev_as_of is null or r.due_at >= cast($prev_as_of as timestamp) + interval 1 day)
group by all
order by count(*) desc, r.street_code
"""

_OVERDUE_ITEMS_SQL = """
select i.item_id, i.title, i.list, i.due_on, a.app_id, a.name as app_name, a.region_code
from ledger_items i join reform_apps a using (app_id)
where i.status <> 'done' and i.due_on < $as_of and ($prev_as_of is null or i.due_on >= $prev_as_of)
order by i.due_on, i.item_id
"""


def _link(settings: Settings, panel: str, **state: str) -> str:
    return f"{settings.public_url.rstrip('/')}/cases/{panel}?{urlencode(state)}"


def publication_events(snapshot_dir: Path, prev_as_of: dt.date | None, settings: Settings) -> dict:
    """Every candidate item of a publication (before checking what was pushed already)."""
    manifest = json.loads((snapshot_dir / "manifest.json").read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(manifest["as_of"])
    con = connect_snapshot(snapshot_dir)
    try:
        params = {"as_of": as_of, "prev_as_of": prev_as_of}
        warnings = con.execute(EARLY_WARNINGS_SQL, {"as_of": as_of, "region": None}).fetchall()
        wcols = [d[0] for d in con.description]
        streets = con.execute(_OVERDUE_REQUESTS_SQL, params).fetchall()
        items = con.execute(_OVERDUE_ITEMS_SQL, params).fetchall()
        icols = [d[0] for d in con.description]
    finally:
        con.close()
    out = {"snapshot": snapshot_dir.name, "as_of": as_of.isoformat(), "early_warnings": [], "overdue_requests": [],
           "overdue_items": []}
    for row in warnings:
        w = dict(zip(wcols, row))
        out["early_warnings"].append({
            "key": f"warning:{w['street_code']}:{w['category']}:{w['since']}",
            "street_code": w["street_code"], "street_name": w["street_name"], "category": w["category"],
            "since": str(w["since"]), "volume": int(w["volume"]), "baseline_median": float(w["baseline_median"]),
            "z": round(float(w["z"]), 2),
            "cases_url": _link(settings, "category_bar", region=w["street_code"], f_category=w["category"]),
        })
    for street_code, street_name, county_name, ids in streets:
        out["overdue_requests"].append({
            "keys": [f"overdue:{i}" for i in ids], "street_code": street_code, "street_name": street_name,
            "county_name": county_name, "count": len(ids), "request_ids": list(ids),
            "cases_url": _link(settings, "kpi_overdue_open", region=street_code),
        })
    for row in items:
        it = dict(zip(icols, row))
        out["overdue_items"].append({
            "key": f"item:{it['item_id']}:{it['due_on']}", "item_id": it["item_id"], "title": it["title"],
            "list": it["list"], "due_on": str(it["due_on"]), "app_id": it["app_id"], "app_name": it["app_name"],
            "cases_url": _link(settings, "kpi_items_overdue", region=it["region_code"]),
        })
    return out


def _sent_log(store: Path) -> sqlite3.Connection:
    con = sqlite3.connect(store / LOG_FILE)
    con.execute("create table if not exists sent (key text primary key, snapshot text not null, sent_at text not null)")
    # The as_of items count as "newly overdue" after: the last accepted push's, else the baseline
    # taken when pushes began (the snapshot before the first one), so a refused push is retried.
    con.execute("create table if not exists pushes (snapshot text not null, as_of text, accepted integer not null)")
    return con


def _since(store: Path, parent_as_of: dt.date | None) -> dt.date | None:
    con = _sent_log(store)
    try:
        with con:
            rows = con.execute("select max(as_of) filter (where accepted = 1), count(*) from pushes").fetchall()
            last, n = rows[0]
            if n == 0:
                con.execute("insert into pushes values ('(baseline)', ?, 0)",
                            (parent_as_of.isoformat() if parent_as_of else None,))
                return parent_as_of
            if last is not None:
                return dt.date.fromisoformat(last)
            base = con.execute("select as_of from pushes where snapshot = '(baseline)'").fetchall()
            return dt.date.fromisoformat(base[0][0]) if base and base[0][0] else None
    finally:
        con.close()


def _unsent(con: sqlite3.Connection, keys: list[str]) -> set[str]:
    sent: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        q = f"select key from sent where key in ({','.join('?' * len(chunk))})"
        sent |= {k for (k,) in con.execute(q, chunk)}
    return set(keys) - sent


def new_events(store: Path, events: dict) -> tuple[dict, list[str]]:
    """The events not pushed before (requests filtered one by one) and the keys they carry."""
    con = _sent_log(store)
    try:
        wkeys = [w["key"] for w in events["early_warnings"]]
        ikeys = [i["key"] for i in events["overdue_items"]]
        rkeys = [k for s in events["overdue_requests"] for k in s["keys"]]
        fresh = _unsent(con, wkeys + ikeys + rkeys)
    finally:
        con.close()
    out = dict(events)
    out["early_warnings"] = [w for w in events["early_warnings"] if w["key"] in fresh]
    out["overdue_items"] = [i for i in events["overdue_items"] if i["key"] in fresh]
    streets = []
    for s in events["overdue_requests"]:
        ids = [i for i, k in zip(s["request_ids"], s["keys"]) if k in fresh]
        if ids:
            streets.append({**s, "keys": [f"overdue:{i}" for i in ids], "request_ids": ids, "count": len(ids)})
    out["overdue_requests"] = streets
    keys = ([w["key"] for w in out["early_warnings"]] + [i["key"] for i in out["overdue_items"]]
            + [k for s in streets for k in s["keys"]])
    return out, keys


def message(events: dict) -> dict:
    """The JSON body: every kind listed up to MAX_LISTED entries, with totals."""
    def listed(entries: list[dict]) -> list[dict]:
        return [{k: v for k, v in e.items() if k not in ("key", "keys")} for e in entries[:MAX_LISTED]]

    streets = listed(events["overdue_requests"])
    for s in streets:
        s["request_ids"] = s["request_ids"][:IDS_PER_STREET]
    return {
        "event": "publication", "snapshot": events["snapshot"], "as_of": events["as_of"],
        "early_warnings": {"total": len(events["early_warnings"]), "listed": listed(events["early_warnings"])},
        "overdue_requests": {"total": sum(s["count"] for s in events["overdue_requests"]),
                             "streets": len(events["overdue_requests"]), "listed": streets},
        "overdue_items": {"total": len(events["overdue_items"]), "listed": listed(events["overdue_items"])},
    }


def dingtalk(body: dict) -> dict:
    """The same content as a DingTalk robot's markdown message."""
    lines = [f"### 治理驾驶舱 · 数据截至 {body['as_of']}", ""]
    w = body["early_warnings"]
    if w["total"]:
        lines.append(f"**新预警 {w['total']} 条**")
        lines += [f"- {e['street_name'] or e['street_code']} · {e['category']}：本周 {e['volume']} 件，"
                  f"基线 {e['baseline_median']:g} 件 [明细]({e['cases_url']})" for e in w["listed"]]
    r = body["overdue_requests"]
    if r["total"]:
        lines.append(f"**新超期诉求 {r['total']} 件（{r['streets']} 个街道）**")
        lines += [f"- {e['county_name'] or ''} {e['street_name'] or e['street_code']}：{e['count']} 件 "
                  f"[明细]({e['cases_url']})" for e in r["listed"]]
    i = body["overdue_items"]
    if i["total"]:
        lines.append(f"**新逾期清单事项 {i['total']} 项**")
        lines += [f"- {e['app_name']} · {e['title']}（{e['due_on']} 到期）[明细]({e['cases_url']})" for e in i["listed"]]
    return {"msgtype": "markdown", "markdown": {"title": "治理驾驶舱：新预警与新超期", "text": "\n".join(lines)}}


def post(settings: Settings, body: dict) -> int:
    """POST `body` to the webhook; returns the HTTP status (raises OSError when unreachable)."""
    data = json.dumps(dingtalk(body) if settings.webhook_format == "dingtalk" else body,
                      ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(settings.webhook_url, data=data, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=settings.webhook_timeout_s) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def notify_publication(store: Path, snapshot_id: str, settings: Settings, log: Log = print) -> int:
    """Push the new items of a published snapshot (see module docs); returns how many were pushed."""
    if not settings.webhook_url:
        return 0
    st = Store(store)
    snap = st.root / "snapshots" / snapshot_id
    parent = json.loads((snap / "manifest.json").read_text(encoding="utf-8")).get("parent")
    parent_as_of = None
    if parent and (st.root / "snapshots" / parent / "manifest.json").is_file():
        parent_as_of = dt.date.fromisoformat(st.manifest(parent)["as_of"])
    events, keys = new_events(st.root, publication_events(snap, _since(st.root, parent_as_of), settings))
    if not keys:
        log("webhook: nothing new to push")
        return 0
    try:
        status = post(settings, message(events))
    except OSError as exc:
        log(f"webhook: push failed ({exc}); the items are pushed with the next publication")
        return 0
    if not 200 <= status < 300:
        log(f"webhook: push refused (HTTP {status}); the items are pushed with the next publication")
        return 0
    con = _sent_log(st.root)
    try:
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with con:
            con.executemany("insert or ignore into sent values (?, ?, ?)", [(k, snapshot_id, now) for k in keys])
            con.execute("insert into pushes values (?, ?, 1)", (snapshot_id, events["as_of"]))
    finally:
        con.close()
    log(f"webhook: pushed {len(keys)} new item(s) of {snapshot_id}")
    return len(keys)
