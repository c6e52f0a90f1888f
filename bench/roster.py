"""Benchmark of the offline desk's two server calls: the roster download and a batch sync.

    python -m bench.roster [--delegates 5000] [--batch 500] [--repeats 7]

Seeds a SQLite file with one conference of ``--delegates`` confirmed delegates (the check-in
benchmark's seed), serves it with gunicorn (one sync worker, ``/bench/floor`` on) on 127.0.0.1,
and times, one request at a time so the figure is the server's own time:

- the bare ``GET /bench/floor`` (the floor of this app, server and client);
- ``GET /api/checkin/<id>/roster`` (the whole roster, as a desk downloads it before the doors
  open) with the door link token;
- ``POST /api/checkin/<id>/scans:batch`` with ``--batch`` offline scans of fresh tickets, each
  with its nonce and its original scan time, as a desk uploads them when the network returns.

Goals (issue 7): the roster under 150 ms and the batch under 1 s on SQLite. Reported as medians
of ``--repeats`` runs and as ratios to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.checkin import _free_port
from bench.checkin import seed
from bench.checkin import start_gunicorn

GOAL_ROSTER_MS = 150.0
GOAL_BATCH_MS = 1000.0


def _timed(request: urllib.request.Request) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = reply.read()
    return (time.perf_counter() - started) * 1000, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delegates", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    repeats = max(3, min(args.repeats, 15))

    with tempfile.TemporaryDirectory(prefix="outreach-bench-roster-") as folder:
        workdir = Path(folder)
        instance = workdir / "instance"
        instance.mkdir()
        database = workdir / "bench.sqlite3"
        print(f"seeding {args.delegates} delegates …", flush=True)
        conference_id, token, codes_file = seed(database, instance, args.delegates)
        codes = codes_file.read_text().split()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(database, instance, port)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            floor, roster, batch = [], [], []
            rows = 0
            answers: list[str] = []
            for _ in range(20):  # warm-up
                _timed(urllib.request.Request(f"{base}/bench/floor"))
            for round_number in range(repeats):
                floor.append(statistics.median(
                    _timed(urllib.request.Request(f"{base}/bench/floor"))[0] for _ in range(20)
                ))
                elapsed, body = _timed(urllib.request.Request(
                    f"{base}/api/checkin/{conference_id}/roster", headers=headers))
                roster.append(elapsed)
                rows = len(json.loads(body).get("delegates", []))
                start = round_number * args.batch
                now = dt.datetime.now(dt.UTC)
                scans = [{"code": code, "nonce": secrets.token_hex(12), "station": "Cửa phụ",
                          "scanned_at": (now - dt.timedelta(minutes=30, seconds=i)).isoformat(),
                          "local_result": "ok"}
                         for i, code in enumerate(codes[start:start + args.batch])]
                elapsed, body = _timed(urllib.request.Request(
                    f"{base}/api/checkin/{conference_id}/scans:batch",
                    data=json.dumps({"scans": scans}).encode(),
                    headers={**headers, "Content-Type": "application/json"}, method="POST"))
                batch.append(elapsed)
                answers = [r.get("result") for r in json.loads(body)["results"]]
        finally:
            server.terminate()
            server.wait(10)

    floor_ms, roster_ms, batch_ms = (statistics.median(v) for v in (floor, roster, batch))
    print(f"\noffline desk, SQLite, 1 gunicorn sync worker, {args.delegates} delegates "
          f"({rows} in the roster), median of {repeats} runs, one request at a time")
    print(f"  floor GET /bench/floor        {floor_ms:8.2f} ms")
    print(f"  roster download               {roster_ms:8.2f} ms  ({roster_ms / floor_ms:.0f}× the "
          f"floor; goal < {GOAL_ROSTER_MS:.0f} ms) {'✓' if roster_ms < GOAL_ROSTER_MS else '✗'}")
    print(f"  batch of {args.batch} offline scans    {batch_ms:8.2f} ms  "
          f"({batch_ms / floor_ms:.0f}× the floor; goal < {GOAL_BATCH_MS:.0f} ms) "
          f"{'✓' if batch_ms < GOAL_BATCH_MS else '✗'}")
    counted = {result: answers.count(result) for result in sorted(set(answers))}
    print(f"  answers in the last batch: {counted}")
    return 0 if counted.get("ok") == len(answers) else 1


if __name__ == "__main__":
    raise SystemExit(main())
