"""Pushes on publication: new early warnings and newly overdue items reach a local receiver on
loopback once each, as JSON or as a DingTalk markdown message, with links to their case lists."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import drops
from cockpit.ingest import ingest
from cockpit.settings import get_settings

S1, S2, S3, S4 = drops.STREETS


class Receiver:
    """A webhook receiver on loopback that records every body (and answers `status`)."""

    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                n = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(json.loads(self.rfile.read(n).decode("utf-8")))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver(monkeypatch):
    r = Receiver()
    monkeypatch.setenv("COCKPIT_WEBHOOK_URL", r.url)
    monkeypatch.setenv("COCKPIT_PUBLIC_URL", "https://cockpit.example")
    get_settings.cache_clear()
    yield r
    r.close()
    get_settings.cache_clear()


def _open(rid: str, street: str, due: datetime) -> dict:
    return drops.request_row(rid, due - timedelta(days=5), closed=False, street_code=street, due_at=due)


def _publish(tmp_path, name: str, as_of: str, rows: list[dict], **tables) -> None:
    folder = drops.write_drop(tmp_path / name, as_of=as_of, only=("regions", "departments", "reform_apps",
                                                                   "ledger_items", "requests"),
                              requests=drops.requests_table(rows), **tables)
    assert ingest(folder, tmp_path / "store", log=lambda *_: None).ok


def test_newly_overdue_items_are_pushed_once_each_with_case_links(tmp_path, receiver):
    _publish(tmp_path, "a", "2026-11-20", [_open("O1", S1, datetime(2026, 11, 18, 9)),
                                           _open("O2", S1, datetime(2026, 11, 30, 9)),
                                           _open("O3", S3, datetime(2026, 11, 19, 9))])
    first = receiver.bodies[-1]
    assert first["event"] == "publication" and first["as_of"] == "2026-11-20"
    listed = {s["street_code"]: s for s in first["overdue_requests"]["listed"]}
    assert first["overdue_requests"]["total"] == 2
    assert listed[S1]["request_ids"] == ["O1"] and listed[S3]["request_ids"] == ["O3"]
    assert listed[S1]["cases_url"] == f"https://cockpit.example/cases/kpi_overdue_open?region={S1}"
    # drops.ledger_items: I2 (in progress, due 2026-12-31) is not overdue yet.
    assert first["overdue_items"]["total"] == 0
    n = len(receiver.bodies)

    # The next publication: O2 is now overdue too; O1 and O3 were pushed already.
    _publish(tmp_path, "b", "2026-12-02", [_open("O1", S1, datetime(2026, 11, 18, 9)),
                                           _open("O2", S1, datetime(2026, 11, 30, 9)),
                                           _open("O3", S3, datetime(2026, 11, 19, 9))])
    second = receiver.bodies[n:]
    assert len(second) == 1
    assert [s["request_ids"] for s in second[0]["overdue_requests"]["listed"]] == [["O2"]]
    n = len(receiver.bodies)

    # Published again with nothing new: nothing is pushed.
    folder = drops.write_drop(tmp_path / "c", as_of="2026-12-02", only=("indicators",))
    assert ingest(folder, tmp_path / "store", log=lambda *_: None).ok
    assert len(receiver.bodies) == n


def test_ledger_items_and_dingtalk_body(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("COCKPIT_WEBHOOK_FORMAT", "dingtalk")
    get_settings.cache_clear()
    items = drops.with_value(drops.ledger_items(), "due_on", 1, drops.date(2026, 11, 10))  # I2
    _publish(tmp_path, "a", "2026-11-20", [_open("O9", S2, datetime(2026, 11, 12, 9))], ledger_items=items)
    body = receiver.bodies[-1]
    assert body["msgtype"] == "markdown"
    text = body["markdown"]["text"]
    assert "新超期诉求 1 件" in text and "https://cockpit.example/cases/kpi_overdue_open?region=" in text
    assert "新逾期清单事项 1 项" in text and "一网通办" in text  # I2, due 2026-11-10


def test_a_refused_push_is_retried_with_the_next_publication(tmp_path, receiver):
    receiver.status = 500
    _publish(tmp_path, "a", "2026-11-20", [_open("O1", S1, datetime(2026, 11, 18, 9))])
    assert len(receiver.bodies) == 1
    receiver.status = 200
    folder = drops.write_drop(tmp_path / "b", as_of="2026-11-21", only=("indicators",))
    assert ingest(folder, tmp_path / "store", log=lambda *_: None).ok
    # Counted from the last accepted push (none yet: from before the first snapshot), O1 comes again.
    assert len(receiver.bodies) == 2
    assert receiver.bodies[-1]["overdue_requests"]["listed"][0]["request_ids"] == ["O1"]


def test_no_webhook_no_push(tmp_path, monkeypatch):
    r = Receiver()
    try:
        monkeypatch.delenv("COCKPIT_WEBHOOK_URL", raising=False)
        get_settings.cache_clear()
        _publish(tmp_path, "a", "2026-11-20", [_open("O1", S1, datetime(2026, 11, 18, 9))])
        assert r.bodies == []
    finally:
        r.close()
        get_settings.cache_clear()


def test_a_new_early_warning_is_pushed_once(tmp_path, receiver):
    end = datetime(2026, 11, 20, 10)
    rows = [drops.request_row(f"B{k}", end - timedelta(days=7 * k), street_code=S1, category="噪音扰民")
            for k in range(1, 9)]  # one a week for 8 weeks: the baseline
    rows += [drops.request_row(f"J{i:02d}", end - timedelta(hours=i), street_code=S1, category="噪音扰民")
             for i in range(15)]  # 15 in the last week: a jump
    _publish(tmp_path, "a", "2026-11-20", rows)
    warnings = receiver.bodies[-1]["early_warnings"]
    assert warnings["total"] == 1
    w = warnings["listed"][0]
    assert (w["street_code"], w["category"], w["volume"]) == (S1, "噪音扰民", 15)
    assert w["cases_url"].startswith("https://cockpit.example/cases/category_bar?region=")
    n = len(receiver.bodies)
    folder = drops.write_drop(tmp_path / "b", as_of="2026-11-20", only=("indicators",))
    assert ingest(folder, tmp_path / "store", log=lambda *_: None).ok
    assert len(receiver.bodies) == n  # the same run of the same warning: not pushed again
