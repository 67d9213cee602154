"""Load of `make bench --load`: leaders clicking through the overview and display walls refreshing.

Run by `bench/load.py` (headless, bounded in time). A leader's click asks the overview's panels (its two batched callbacks)
for a new page state (one of a fixed list: periods, drill-downs, a cross-filter) and then
thinks 2–5 s; a wall asks for its next rotation step and checks for a new snapshot every 5–10 s.
Inputs from the environment: BENCH_LOAD_BODIES (JSON file: a list of states, each a list of
callback bodies) and BENCH_LOAD_WALL (the wall's base URL path with its token query).
"""

import json
import os
import random

from locust import HttpUser, between, task

STATES = json.loads(open(os.environ["BENCH_LOAD_BODIES"], encoding="utf-8").read())
WALL = os.environ.get("BENCH_LOAD_WALL", "")
HEADERS = {"Content-Type": "application/json"}


class Leader(HttpUser):
    fixed_count = int(os.environ.get("BENCH_LOAD_LEADERS", "50"))
    wait_time = between(2, 5)

    @task
    def click(self):
        for body in random.choice(STATES):
            self.client.post("/_dash-update-component", data=json.dumps(body), headers=HEADERS, name="panel callback")


class Wall(HttpUser):
    fixed_count = int(os.environ.get("BENCH_LOAD_WALLS", "20"))
    wait_time = between(5, 10)

    def on_start(self):
        self.screen = random.randrange(4)

    @task
    def refresh(self):
        if not WALL:
            return
        path, _, query = WALL.partition("?")
        self.screen += 1
        self.client.get(f"{path}/step?{query}&screen={self.screen % 4}", name="wall step")
        self.client.get(f"{path}/ping?{query}", name="wall ping")
