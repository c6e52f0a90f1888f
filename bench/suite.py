"""The benchmark suite: every hot path of outreach as a ratio to the framework floor.

    python -m bench [--seconds 5] [--rounds 3] [--connections 16] [--workers 1]

1. Seeds a fresh SQLite file (fixed random seed): 5 conferences, 300 cooperatives, about 10,000
   delegates, a door link, a logged-in organizer.
2. Starts gunicorn on 127.0.0.1 with the app and the bare ``/bench/floor`` route.
3. Measures with ``wrk`` (Debian's package), interleaved round by round: the floor, then each
   scenario — check-in scans, registration submissions, the public conference page, the
   organizer's registration list, the roster download, the ``.ics`` feed; each one starts once
   the requests the one before left queued are served.
4. Prints requests/s, p50, p99, errors and the ratio to the floor of the same round, with the
   machine's facts, and writes the table as JSON to ``bench/results/latest.json``.

Loopback only, fixed durations, bounded rounds: it stops by itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from importlib import metadata
from pathlib import Path

from bench import checkin as scan_bench

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEED = 20261128
CONFERENCES = 5
COOPERATIVES = 300
DELEGATES_PER_REGISTRATION = 7  # 5 x 300 x 7 = 10,500 delegates
ORGANIZER = ("bench@example.vn", "bench-password-1")
GOALS = {"scan": 0.35, "register": 0.15, "public_page": 0.25}
GOAL_SCAN_P99_MS = 25.0

# Each scenario is a wrk Lua script; BENCH_* variables carry what it needs.
LUA_COMMON = r"""
local counter = 0
local run = os.getenv("BENCH_RUN")
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

LUA = {
    "get": r"""
local cookie = os.getenv("BENCH_COOKIE")
request = function()
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", wrk.path, headers)
end
""",
    "scan": r"""
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local token = os.getenv("BENCH_TOKEN")
local offset = tonumber(os.getenv("BENCH_OFFSET"))
request = function()
  counter = counter + 1
  local code = codes[((offset + counter - 1) % #codes) + 1]
  local body = '{"code":"' .. code .. '","nonce":"b' .. run .. 'x' .. counter .. '"}'
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
""",
    "register": r"""
request = function()
  counter = counter + 1
  local n = tonumber(os.getenv("BENCH_OFFSET")) + counter
  local phone = string.format("0915%06d", n % 1000000)
  local body = "submission_id=b" .. run .. "x" .. counter ..
    "&cooperative-kind=to_hop_tac&cooperative-name=To+hop+tac+" .. n ..
    "&cooperative-province_code=24&cooperative-ward_code=7582" ..
    "&contact_name=Nguoi+" .. n .. "&contact_phone=" .. phone ..
    "&delegates-0-full_name=Nguoi+" .. n .. "&delegates-0-phone=" .. phone ..
    "&consent_participation=y"
  return wrk.format("POST", wrk.path,
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
""",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(database: Path, instance: Path) -> dict:
    """Fill a fresh database; return the ids, slugs, token and files the scenarios need."""
    import sqlalchemy as sa

    from outreach import create_app
    from outreach.accounts import services as accounts
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

    rng = random.Random(SEED)
    app = create_app({
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "UPLOAD_FOLDER": str(instance / "uploads"), "MAIL_FOLDER": str(instance / "mail"),
    })
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with app.app_context():
        db.create_all()
        host = Organization(name="Sở KH&CN (đo tải)", short_name="Sở KH&CN",
                            kind="host_department")
        db.session.add(host)
        db.session.flush()
        accounts.create_user(email=ORGANIZER[0], name="Ban tổ chức", role="organizer",
                             password=ORGANIZER[1], organization=host)
        conferences = []
        for index in range(CONFERENCES):
            starts = now + dt.timedelta(hours=1) + dt.timedelta(days=7 * index)
            conference = Conference(
                slug=f"do-tai-{index}", title=f"Hội nghị đo tải số {index + 1}", host_id=host.id,
                summary="Giới thiệu chính sách hỗ trợ khoa học và công nghệ cho hợp tác xã.",
                themes=["st_projects"], venue_name="Hội trường UBND xã", province_code=24,
                ward_code=7582, starts_at=starts, ends_at=starts + dt.timedelta(hours=4),
                capacity=100_000, seats_taken=COOPERATIVES * DELEGATES_PER_REGISTRATION,
                delegates_per_cooperative=DELEGATES_PER_REGISTRATION, status="published",
                registration_closes_at=starts,
            )
            db.session.add(conference)
            conferences.append(conference)
        db.session.flush()
        wards = [7582, 7552, 7603, 7288, 7450, 7339, 7798, 9292, 9193, 9454]
        db.session.execute(sa.insert(Cooperative), [
            {"kind": rng.choice(["hop_tac_xa", "to_hop_tac"]), "name": f"HTX số {i}",
             "name_key": f"htx so {i}", "province_code": 24, "ward_code": rng.choice(wards),
             "created_at": now, "updated_at": now}
            for i in range(COOPERATIVES)
        ])
        cooperative_ids = db.session.scalars(sa.select(Cooperative.id)).all()
        registrations = []
        for conference in conferences:
            for cooperative_id in cooperative_ids:
                registrations.append({
                    "conference_id": conference.id, "cooperative_id": cooperative_id,
                    "status": "confirmed", "manage_token_hash": hash_token(new_ticket_code()),
                    "submission_id": f"seed-{conference.id}-{cooperative_id}",
                    "contact_name": "Người liên hệ", "contact_phone": "+84912000000",
                    "needs": {"st_projects": {"choices": ["funding"], "text": ""}},
                    "consent_participation_at": now, "consent_notice_version": "bench",
                    "seats_held": DELEGATES_PER_REGISTRATION, "created_at": now,
                    "updated_at": now,
                })
        db.session.execute(sa.insert(Registration), registrations)
        rows = db.session.execute(
            sa.select(Registration.id, Registration.conference_id)).all()
        delegates, codes = [], []
        for number, (registration_id, conference_id) in enumerate(
                r for r in rows for _ in range(DELEGATES_PER_REGISTRATION)):
            name = f"{rng.choice(['Nguyễn', 'Trần', 'Lê', 'Phạm'])} Văn {number}"
            code = new_ticket_code()
            delegates.append({
                "registration_id": registration_id, "conference_id": conference_id,
                "full_name": name, "name_key": vn.fold(name), "phone_e164": f"+849{number:08d}",
                "gender": rng.choice(["male", "female"]), "ticket_code": code,
                "created_at": now,
            })
            if conference_id == conferences[0].id:
                codes.append(code)
        db.session.execute(sa.insert(Delegate), delegates)
        _link, token = checkin.create_door_link(conferences[0], "Cửa chính", created_by=None,
                                                now=now)
        db.session.commit()
        facts = {"conference_id": conferences[0].id, "slug": conferences[0].slug,
                 "register_slug": conferences[1].slug, "token": token,
                 "delegates": len(delegates)}
        db.session.remove()
        db.engine.dispose()
    code_file = instance / "codes.txt"
    code_file.write_text("\n".join(codes) + "\n", encoding="ascii")
    facts["codes"] = code_file
    return facts


def start_gunicorn(database: Path, instance: Path, port: int, workers: int):
    return scan_bench.start_gunicorn(database, instance, port, workers=workers, settings={
        # wrk cannot follow a form's CSRF token; the token check is a constant cost anyway
        "OUTREACH_WTF_CSRF_ENABLED": "false",
        "OUTREACH_MAIL_SEND_AFTER_COMMIT": "false",
        "OUTREACH_CHECKIN_UNKNOWN_PER_MINUTE": "0",
    })


def login_cookie(base: str) -> str:
    """Log the organizer in through the form and return the session cookie for wrk."""
    data = urllib.parse.urlencode({"email": ORGANIZER[0], "password": ORGANIZER[1]}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(base + "/login", data=data), timeout=5)
    except urllib.error.HTTPError as reply:
        cookie = reply.headers.get("Set-Cookie", "")
        return cookie.split(";", 1)[0]
    raise SystemExit("login did not redirect")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run_wrk(url: str, script: str, *, seconds: int, connections: int, workdir: Path,
            env: dict) -> dict:
    path = workdir / "scenario.lua"
    path.write_text(LUA_COMMON + LUA[script], encoding="utf-8")
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
               "-s", str(path), url]
    output = subprocess.run(command, env={**os.environ, "BENCH_RUN": str(time.time_ns()),
                                          **env}, capture_output=True, text=True,
                            check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line[len("BENCH "):])
    figures["rps"] = figures["requests"] / figures["seconds"] if figures["seconds"] else 0.0
    return figures


def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {name: metadata.version(name) for name in
                ("flask", "sqlalchemy", "gunicorn", "flask-sqlalchemy", "werkzeug")}
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "packages": packages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per measurement (max 20)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (max 5)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    seconds, rounds = max(1, min(args.seconds, 20)), max(1, min(args.rounds, 5))

    with tempfile.TemporaryDirectory(prefix="outreach-bench-") as folder:
        workdir = Path(folder)
        instance = workdir / "instance"
        instance.mkdir()
        database = workdir / "bench.sqlite3"
        print("seeding …", flush=True)
        facts = seed(database, instance)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(database, instance, port, args.workers)
        try:
            cookie = login_cookie(base)
            conference_id = facts["conference_id"]
            scenarios = {
                "floor": (f"{base}/bench/floor", "get", {}),
                "scan": (f"{base}/api/checkin/{conference_id}/scans", "scan",
                         {"BENCH_CODES": str(facts["codes"]), "BENCH_TOKEN": facts["token"]}),
                "register": (f"{base}/conferences/{facts['register_slug']}/register",
                             "register", {}),
                "public_page": (f"{base}/conferences/{facts['slug']}", "get", {}),
                "staff_list": (f"{base}/staff/conferences/{conference_id}/registrations",
                               "get", {"BENCH_COOKIE": cookie}),
                "roster": (f"{base}/api/checkin/{conference_id}/roster", "get",
                           {"BENCH_COOKIE": cookie}),
                "ics_feed": (f"{base}/calendar.ics", "get", {}),
            }
            if urllib.request.urlopen(f"{base}/healthz").status != 200:
                raise SystemExit("the server is not healthy")
            for _ in range(30):  # warm-up
                urllib.request.urlopen(f"{base}/bench/floor").close()
            table: dict[str, list[dict]] = {name: [] for name in scenarios}
            offsets = {"scan": 0, "register": 0}
            for round_number in range(rounds):
                for name, (url, script, env) in scenarios.items():
                    env = {**{"BENCH_COOKIE": ""}, **env,
                           "BENCH_OFFSET": str(offsets.get(name, 0))}
                    figures = run_wrk(url, script, seconds=seconds,
                                      connections=args.connections, workdir=workdir, env=env)
                    figures["round"] = round_number + 1
                    table[name].append(figures)
                    # wrk stops with up to --connections requests still queued at the one
                    # worker (16 roster downloads are half a second): wait until they are
                    # served, so that the next scenario starts on an idle server
                    urllib.request.urlopen(f"{base}/bench/floor", timeout=60).close()
                    if name in offsets:
                        offsets[name] += figures["requests"] + args.connections
        finally:
            server.terminate()
            server.wait(10)

    report = summarise(table, args, seconds, rounds, facts["delegates"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    return 0


def summarise(table, args, seconds, rounds, delegates) -> dict:
    """Ratios per round (each scenario against the floor measured in the same round); the
    median round is reported."""
    rows = {}
    for name, measured in table.items():
        ratios = [m["rps"] / table["floor"][i]["rps"] if table["floor"][i]["rps"] else 0.0
                  for i, m in enumerate(measured)]
        median = scan_bench.median_round(ratios)
        pick = measured[median]
        rows[name] = {
            "rps": round(pick["rps"], 1), "p50_ms": round(pick["p50_ms"], 2),
            "p99_ms": round(pick["p99_ms"], 2),
            "errors": sum(m["errors"] + m["non2xx"] for m in measured),
            "ratio": round(ratios[median], 3), "ratios": [round(r, 3) for r in ratios],
            "goal": GOALS.get(name),
        }
    return {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "settings": {"seconds": seconds, "rounds": rounds,
                         "connections": args.connections, "workers": args.workers,
                         "database": "sqlite", "delegates": delegates,
                         "generator": "wrk"},
            "machine": machine_facts(), "results": rows}


def print_report(report: dict) -> None:
    settings, machine = report["settings"], report["machine"]
    print(f"\noutreach benchmark — {machine['cpu']} ({machine['cores']} cores), Python "
          f"{machine['python']}, SQLite {machine['sqlite']}, gunicorn "
          f"{machine['packages']['gunicorn']} × {settings['workers']} worker(s), "
          f"{settings['connections']} connections, {settings['seconds']} s × "
          f"{settings['rounds']} interleaved rounds, {settings['delegates']} delegates")
    print(f"{'scenario':14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ratio':>8}"
          f"{'goal':>7}")
    for name, row in report["results"].items():
        goal = f"≥{row['goal']}" if row["goal"] else ""
        mark = "" if not row["goal"] else (" ✓" if row["ratio"] >= row["goal"] else " ✗")
        print(f"{name:14}{row['rps']:9.0f}{row['p50_ms']:9.2f}{row['p99_ms']:9.2f}"
              f"{row['errors']:8d}{row['ratio']:8.2f}{goal:>7}{mark}")
    scan = report["results"]["scan"]
    mark = "✓" if scan["p99_ms"] <= GOAL_SCAN_P99_MS else "✗"
    print(f"scan p99 {scan['p99_ms']:.1f} ms (goal ≤ {GOAL_SCAN_P99_MS:.0f} ms) {mark}")
