"""Benchmark of the check-in scan API: scans per second and p99 latency, as a ratio to a bare route.

    python -m bench.checkin [--seconds 10] [--connections 16] [--delegates 10000]

What it does, all on 127.0.0.1 and in a temporary folder:

1. seeds a SQLite file with one conference and ``--delegates`` confirmed delegates (and a door
   link, whose Bearer token the load generator sends, as a door phone does);
2. starts gunicorn with ONE sync worker serving ``outreach:create_app()`` on that file, with
   ``BENCH_FLOOR`` on (which adds the bare ``/bench/floor`` route) and throttling off;
3. measures the floor (``POST /bench/floor``: the same app, server and client, no work), then
   the scan API (``POST /api/checkin/<id>/scans``, every request a different ticket and nonce,
   so each one is a real admission: nonce look-up, ticket look-up, conditional update, log row,
   commit; once the seeded tickets are used up, later requests scan them again and get the
   repeat answer), ``--seconds`` each, at ``--connections`` concurrent connections, in
   ``--rounds`` alternating rounds;
4. prints requests/s, p50 and p99 of the median round (by its ratio, as ``make bench`` does),
   the ratio scans/floor, and checks the database afterwards: every ``ok`` answer is exactly one
   admitted delegate, and the answers are counted by result.

The load generator is ``wrk`` (``apt-get install wrk``) with a Lua script; without it, a Python
``httpx`` async client with the same concurrency is used (it needs more CPU per request, so its
figures are lower and say so). Goal (issue 6): ratio >= 0.35 and p99 < 25 ms at 16 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 0.35
GOAL_P99_MS = 25.0


# --- seeding -----------------------------------------------------------------------------------


def seed(database: Path, instance: Path, delegates: int) -> tuple[int, str, Path]:
    """Create the schema and ``delegates`` confirmed delegates; return (conference id, door
    token, file of ticket codes)."""
    import datetime as dt

    import sqlalchemy as sa

    from outreach import create_app
    from outreach.accounts.models import Organization
    from outreach.checkin import services as checkin
    from outreach.checkin.tickets import hash_token
    from outreach.checkin.tickets import new_ticket_code
    from outreach.conferences.models import Conference
    from outreach.database import db
    from outreach.registration import vn
    from outreach.registration.models import Cooperative
    from outreach.registration.models import Delegate
    from outreach.registration.models import Registration

    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "UPLOAD_FOLDER": str(instance / "uploads"),
            "MAIL_FOLDER": str(instance / "mail"),
        }
    )
    now = dt.datetime.now(dt.UTC)
    per_cooperative = 3
    with app.app_context():
        db.create_all()
        host = Organization(name="Sở KH&CN (bench)", short_name="Sở KH&CN", kind="host_department")
        db.session.add(host)
        db.session.flush()
        conference = Conference(
            slug="bench",
            title="Hội nghị đo tải",
            host_id=host.id,
            venue_name="Hội trường",
            province_code=24,
            ward_code=7582,
            starts_at=now + dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=6),
            capacity=delegates,
            seats_taken=delegates,
            delegates_per_cooperative=per_cooperative,
            status="published",
        )
        db.session.add(conference)
        db.session.flush()
        cooperatives = (delegates + per_cooperative - 1) // per_cooperative
        db.session.execute(
            sa.insert(Cooperative),
            [
                {
                    "kind": "to_hop_tac",
                    "name": f"Tổ hợp tác số {i}",
                    "name_key": f"to hop tac so {i}",
                    "province_code": 24,
                    "ward_code": 7582,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(cooperatives)
            ],
        )
        cooperative_ids = list(
            db.session.scalars(sa.select(Cooperative.id).order_by(Cooperative.id))
        )
        db.session.execute(
            sa.insert(Registration),
            [
                {
                    "conference_id": conference.id,
                    "cooperative_id": cooperative_id,
                    "status": "confirmed",
                    "manage_token_hash": hash_token(secrets.token_hex(16)),
                    "submission_id": f"bench-{cooperative_id}",
                    "contact_name": "Người liên hệ",
                    "contact_phone": "+84912000000",
                    "needs": {},
                    "consent_participation_at": now,
                    "consent_notice_version": "bench",
                    "seats_held": per_cooperative,
                    "created_at": now,
                    "updated_at": now,
                }
                for cooperative_id in cooperative_ids
            ],
        )
        registration_ids = list(
            db.session.scalars(sa.select(Registration.id).order_by(Registration.id))
        )
        codes = [new_ticket_code() for _ in range(delegates)]
        rows = []
        for i, code in enumerate(codes):
            name = f"Nguyễn Văn {i}"
            rows.append(
                {
                    "registration_id": registration_ids[i // per_cooperative],
                    "conference_id": conference.id,
                    "full_name": name,
                    "name_key": vn.fold(name),
                    "phone_e164": f"+849{i:08d}",
                    "ticket_code": code,
                    "created_at": now,
                }
            )
        db.session.execute(sa.insert(Delegate), rows)
        _link, token = checkin.create_door_link(conference, "Cửa chính", created_by=None, now=now)
        db.session.commit()
        conference_id = conference.id
        db.session.remove()
        db.engine.dispose()
    code_file = instance / "codes.txt"
    code_file.write_text("\n".join(codes) + "\n", encoding="ascii")
    return conference_id, token, code_file


# --- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    database: Path, instance: Path, port: int, *, workers: int = 1, settings: dict | None = None
) -> subprocess.Popen:
    """gunicorn from the production config on ``database``, once it answers ``/healthz``;
    ``settings``: more ``OUTREACH_*`` variables (bench/suite.py turns mail and CSRF off)."""
    env = {
        **os.environ,
        "OUTREACH_DATABASE_URL": f"sqlite:///{database}",
        "OUTREACH_INSTANCE_PATH": str(instance),
        "OUTREACH_SECRET_KEY": "bench-secret-key-not-for-production",
        "OUTREACH_BENCH_FLOOR": "true",
        "OUTREACH_RATELIMIT_ENABLED": "false",
        "OUTREACH_CHECKIN_OPENS_BEFORE_MINUTES": "600",
        # the production config file, with no access log and no worker recycling
        "OUTREACH_WORKERS": str(workers),
        "OUTREACH_BIND": f"127.0.0.1:{port}",
        "OUTREACH_ACCESS_LOG": "",
        "OUTREACH_MAX_REQUESTS": "0",
        **(settings or {}),
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", "outreach/deploy/gunicorn.conf.py",
        "--backlog", "256",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    # the arbiter binds the port before its worker has imported the app: wait for an answer
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn did not start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not answer in 30 s")


# --- load: wrk ---------------------------------------------------------------------------------

WRK_SCRIPT = r"""
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local token = os.getenv("BENCH_TOKEN")
local kind = os.getenv("BENCH_KIND")
local counter = 0
local offset = tonumber(os.getenv("BENCH_OFFSET"))
local thread_id = 0

request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  if kind == "floor" then
    return wrk.format("POST", "/bench/floor", headers, "{}")
  end
  -- one wrk thread: the n-th request takes the n-th ticket, so no two requests share one
  local code = codes[((offset + counter - 1) % #codes) + 1]
  local body = '{"code":"' .. code .. '","nonce":"n' .. thread_id .. "x" .. counter ..
    "r" .. os.getenv("BENCH_RUN") .. '","station":"bench"}'
  return wrk.format("POST", wrk.path, headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format(
    "BENCH {\"requests\": %d, \"seconds\": %f, \"p50_ms\": %f, \"p99_ms\": %f, " ..
    "\"errors\": %d, \"non2xx\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def run_wrk(
    url: str,
    *,
    kind: str,
    token: str,
    codes: Path,
    seconds: int,
    connections: int,
    workdir: Path,
    offset: int = 0,
    lua: str = WRK_SCRIPT,
    extra_env: dict[str, str] | None = None,
) -> dict:
    """One wrk run of ``lua`` (by default the scan script above) against ``url``; the script
    must print its ``BENCH {json}`` summary line as WRK_SCRIPT's ``done`` does. bench/peer_pretix.py
    runs its own script through this too."""
    script = workdir / "scan.lua"
    script.write_text(lua, encoding="utf-8")
    env = {
        **os.environ,
        "BENCH_CODES": str(codes),
        "BENCH_TOKEN": token,
        "BENCH_KIND": kind,
        "BENCH_RUN": secrets.token_hex(3),
        "BENCH_OFFSET": str(offset),
        **(extra_env or {}),
    }
    command = [
        "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
        "-s", str(script), url,
    ]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line[len("BENCH ") :])
    figures["rps"] = figures["requests"] / figures["seconds"]
    figures["generator"] = "wrk"
    return figures


# --- load: httpx (fallback) ----------------------------------------------------------------------


async def _httpx_load(
    url: str, *, kind: str, token: str, codes: list[str], seconds: int, connections: int
) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    next_code = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    run = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:

        async def worker(number: int) -> None:
            nonlocal next_code, errors
            counter = 0
            while time.perf_counter() < deadline:
                counter += 1
                if kind == "floor":
                    body = {}
                else:
                    body = {
                        "code": codes[next_code % len(codes)],
                        "nonce": f"h{number}x{counter}r{run}",
                        "station": "bench",
                    }
                    next_code += 1
                started = time.perf_counter()
                try:
                    response = await client.post(url, json=body, headers=headers)
                    if response.status_code >= 300:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else 0
        )

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "errors": errors,
        "non2xx": errors,
        "generator": "httpx",
    }


# --- the run -------------------------------------------------------------------------------------


def check_database(database: Path) -> dict:
    import sqlite3

    connection = sqlite3.connect(database)
    try:
        admitted = connection.execute(
            "SELECT count(*) FROM delegates WHERE checked_in_at IS NOT NULL"
        ).fetchone()[0]
        ok_rows = connection.execute(
            "SELECT count(*) FROM checkins WHERE result = 'ok' AND undone_at IS NULL"
        ).fetchone()[0]
        by_result = dict(
            connection.execute("SELECT result, count(*) FROM checkins GROUP BY result").fetchall()
        )
    finally:
        connection.close()
    return {"admitted": admitted, "ok_rows": ok_rows, "by_result": by_result}


def median_round(ratios: list[float]) -> int:
    """The index of the round whose ratio is the median (the upper one of an even count): what
    this module and ``make bench`` (bench/suite.py) report."""
    return sorted(range(len(ratios)), key=lambda i: ratios[i])[len(ratios) // 2]


def measure(
    *, delegates: int, seconds: int, connections: int, rounds: int, generator: str,
    keep: str = "median",
) -> dict:  # fmt: skip
    """Seed, serve and measure as the module's docstring says; return the floor and scan figures
    of the round kept (``keep``: the median round by its ratio, or each side's best round, as
    bench/peer_pretix.py keeps for both apps), every round's, and the database check."""
    args = argparse.Namespace(delegates=delegates, connections=connections, rounds=rounds)
    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as folder:
        workdir = Path(folder)
        instance = workdir / "instance"
        instance.mkdir()
        database = workdir / "bench.sqlite3"
        print(f"seeding {args.delegates} delegates into {database} …", flush=True)
        conference_id, token, codes = seed(database, instance, args.delegates)
        port = _free_port()
        server = start_gunicorn(database, instance, port)
        base = f"http://127.0.0.1:{port}"
        scan_url = f"{base}/api/checkin/{conference_id}/scans"
        floor_url = f"{base}/bench/floor"
        try:
            results: dict[str, dict] = {}
            rounds: dict[str, list[dict]] = {}
            sent = 0
            # warm-up: the worker's first requests load templates, pools and caches
            for _ in range(50):
                urllib.request.urlopen(
                    urllib.request.Request(floor_url, data=b"{}", method="POST"), timeout=5
                ).close()
            # alternate floor and scan rounds: on a shared machine a burst of other work then
            # hurts both sides of a round alike instead of one measurement
            for _round in range(args.rounds):
                for kind, url in (("floor", floor_url), ("scan", scan_url)):
                    if generator == "wrk":
                        figures = run_wrk(
                            url, kind=kind, token=token, codes=codes, seconds=seconds,
                            connections=args.connections, workdir=workdir, offset=sent,
                        )  # fmt: skip
                    else:
                        figures = asyncio.run(
                            _httpx_load(
                                url, kind=kind, token=token,
                                codes=codes.read_text().split()[sent:], seconds=seconds,
                                connections=args.connections,
                            )
                        )  # fmt: skip
                    rounds.setdefault(kind, []).append(figures)
                    if kind == "scan":  # the next round starts with tickets not yet scanned
                        sent += figures["requests"] + args.connections
                    if kind not in results or figures["rps"] > results[kind]["rps"]:
                        results[kind] = figures
            if keep == "median":
                ratios = [
                    scan["rps"] / floor["rps"] if floor["rps"] else 0.0
                    for floor, scan in zip(rounds["floor"], rounds["scan"], strict=True)
                ]
                pick = median_round(ratios)
                results = {"floor": rounds["floor"][pick], "scan": rounds["scan"][pick]}
        finally:
            server.terminate()
            server.wait(10)
        after = check_database(database)
    return {"floor": results["floor"], "scan": results["scan"], "rounds": rounds, "after": after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per measurement (max 20)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--delegates", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds; the median round is reported"
    )
    parser.add_argument("--generator", choices=("auto", "wrk", "httpx"), default="auto")
    args = parser.parse_args(argv)
    seconds = max(1, min(args.seconds, 20))
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "httpx"

    measured = measure(
        delegates=args.delegates, seconds=seconds, connections=args.connections,
        rounds=args.rounds, generator=generator,
    )  # fmt: skip
    floor, scan = measured["floor"], measured["scan"]
    rounds, after = measured["rounds"], measured["after"]
    ratio = scan["rps"] / floor["rps"] if floor["rps"] else 0.0
    print(
        f"\ncheck-in scan API, SQLite, 1 gunicorn sync worker, {args.delegates} delegates, "
        f"{args.connections} connections, {seconds} s per measurement, median of {args.rounds} "
        f"alternating rounds, load by {generator}"
    )
    for kind in ("floor", "scan"):
        print(f"  {kind} rounds req/s: " + ", ".join(f"{r['rps']:.0f}" for r in rounds[kind]))
    print(f"{'':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, row in (("floor", floor), ("scan", scan)):
        print(
            f"{name:8}{row['rps']:10.0f}{row['p50_ms']:10.2f}{row['p99_ms']:10.2f}"
            f"{row['errors'] + row['non2xx']:8d}"
        )
    print(
        f"ratio scan/floor: {ratio:.2f} (goal >= {GOAL_RATIO}); "
        f"scan p99 {scan['p99_ms']:.1f} ms (goal < {GOAL_P99_MS:.0f} ms)"
    )
    print(
        f"after the run: {after['admitted']} delegates admitted, {after['ok_rows']} ok rows, "
        f"answers {after['by_result']}"
    )
    consistent = after["admitted"] == after["ok_rows"]
    if not consistent:
        print("INCONSISTENT: admitted delegates and ok rows differ", file=sys.stderr)
    return 0 if consistent else 1


if __name__ == "__main__":
    raise SystemExit(main())
