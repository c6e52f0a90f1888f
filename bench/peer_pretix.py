"""Peer comparison (issue 11): pretix's check-in API under the load of bench/checkin.py.

    .venv/bin/python -m bench.peer_pretix [--seconds 10] [--connections 16] [--orders 10000]
                                          [--rounds 2] [--ours] [--json PATH]

pretix (https://pretix.eu, AGPL) is a widely used open-source ticket shop whose check-in API
serves door scanners. This script measures its redeem endpoint the way bench/checkin.py measures
ours, all on 127.0.0.1 and in a temporary folder:

1. creates (or reuses) a virtualenv outside the repository, ``~/.cache/outreach-bench/
   pretix-venv``, with the pinned versions of bench/peer/requirements-pretix.txt from PyPI (no
   pretix code is copied into this repository; the API needs no built static files);
2. writes a ``pretix.cfg`` for SQLite, no Redis and no Celery (pretix's own defaults for that:
   a dummy cache, tasks run in the request), runs pretix's migrations once per pinned version
   (about 90 s; the migrated empty database is kept beside the virtualenv and copied), and seeds
   through pretix's ORM (bench/peer/pretix_bench_seed.py): one organizer, one live event that
   started an hour ago, one admission product, one check-in list, ``--orders`` paid orders of
   one position (one ticket secret) each, and a team with check-in permission and an API token;
3. starts gunicorn with ONE sync worker serving ``pretix.wsgi:application`` with
   bench/peer/pretix_bench_settings.py, which only adds the bare ``POST /bench/floor`` view
   (``{"result": "ok"}`` behind all of pretix's middleware, as outreach's floor is behind all of
   its own);
4. measures with ``wrk`` (one thread, ``--connections`` connections, ``--seconds`` each),
   alternating floor and redeem rounds and keeping each one's best, as bench/checkin.py does:
   ``POST /api/v1/organizers/<org>/checkinrpc/redeem/`` with ``{"secret", "lists", "nonce"}``,
   every request a different ticket, so each one is a real admission;
5. checks pretix's database afterwards (no ticket admitted twice; the successful check-in rows
   match the ``201`` answers, give or take the requests still in flight when wrk stopped), prints
   the table and writes it as JSON (``bench/results/peer-pretix.json`` unless ``--json``).

``--ours`` first runs bench/checkin.py's measurement (``bench.checkin.measure``) with the same
settings and prints both side by side. Loopback only, fixed durations, bounded rounds; gunicorn is
stopped and the temporary folder removed whatever happens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import metadata
from pathlib import Path

from bench import checkin

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "bench" / "peer"
REQUIREMENTS = PEER / "requirements-pretix.txt"
CACHE = Path(os.environ.get("OUTREACH_BENCH_CACHE", "~/.cache/outreach-bench")).expanduser()
RESULTS = ROOT / "bench" / "results"

# The same request stream as bench/checkin.py's WRK_SCRIPT, in pretix's words: the n-th request
# takes the n-th ticket secret (never one twice), a nonce of its own, pretix's token header.
# The ``done`` reporter is bench/checkin.py's own, so both print the same BENCH line.
PRETIX_LUA = r"""
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local token = os.getenv("BENCH_TOKEN")
local kind = os.getenv("BENCH_KIND")
local list = os.getenv("BENCH_LIST")
local run = os.getenv("BENCH_RUN")
local offset = tonumber(os.getenv("BENCH_OFFSET"))
local counter = 0

request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Token " .. token}
  if kind == "floor" then
    return wrk.format("POST", "/bench/floor", headers, "{}")
  end
  local secret = codes[((offset + counter - 1) % #codes) + 1]
  local body = '{"secret":"' .. secret .. '","lists":[' .. list .. '],"nonce":"n' .. counter ..
    "r" .. run .. '"}'
  return wrk.format("POST", wrk.path, headers, body)
end

""" + checkin.WRK_SCRIPT[checkin.WRK_SCRIPT.index("done = function") :]


# --- the peer's environment ----------------------------------------------------------------------


def _requirements_key() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]


def ensure_venv(venv: Path) -> dict:
    """The pinned pretix in its own virtualenv (made or refreshed when the pins change); return
    the versions that matter."""
    python = venv / "bin" / "python"
    stamp = venv / ".outreach-requirements"
    if not python.exists() or not stamp.exists() or stamp.read_text() != _requirements_key():
        base = shutil.which("python3") or sys.executable
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} into {venv} …", flush=True)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
            env=_clean_env(),
        )
        if installed.returncode:
            raise SystemExit(f"pip could not install the peer (exit {installed.returncode})")
        stamp.write_text(_requirements_key())
    probe = (
        "import importlib.metadata as m, json, platform; print(json.dumps({n: m.version(n) for n "
        "in ('pretix', 'django', 'djangorestframework', 'gunicorn')} | "
        "{'python': platform.python_version()}))"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _clean_env() -> dict[str, str]:
    """Our environment without what points Python at this repository's virtualenv."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    return env


def peer_env(workdir: Path) -> dict[str, str]:
    return {
        **_clean_env(),
        "PRETIX_CONFIG_FILE": str(workdir / "pretix.cfg"),
        "DJANGO_SETTINGS_MODULE": "pretix_bench_settings",
        "PYTHONPATH": str(PEER),
    }


def write_config(workdir: Path, database: Path) -> None:
    (workdir / "data").mkdir(exist_ok=True)
    (workdir / "pretix.cfg").write_text(
        "\n".join(
            [
                "[pretix]",
                "instance_name=outreach-bench",
                # the host wrk sends (127.0.0.1:<port>): pretix's main domain, any port
                "url=http://127.0.0.1",
                f"datadir={workdir / 'data'}",
                "currency=EUR",
                "loglevel=WARNING",
                "[database]",
                "backend=sqlite3",
                f"name={database}",
                "[django]",
                "secret=bench-secret-key-not-for-production",
                "debug=false",
                "[mail]",
                "from=bench@localhost",
                "host=127.0.0.1",
                "port=9",  # nothing listens: a mail pretix might send fails at once
                "",
            ]
        ),
        encoding="utf-8",
    )


def migrated_database(venv: Path, workdir: Path, database: Path) -> None:
    """Copy the migrated empty database of this pin set, migrating once if there is none."""
    template = CACHE / f"pretix-{_requirements_key()}-migrated.sqlite3"
    if template.exists():
        shutil.copyfile(template, database)
        return
    print("running pretix's migrations (once per pinned version, about 90 s) …", flush=True)
    log = workdir / "migrate.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pretix", "migrate", "--noinput"],
            env=peer_env(workdir),
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        print(log.read_text()[-3000:], file=sys.stderr)
        raise SystemExit("pretix's migrations failed")
    partial = template.with_suffix(".partial")
    shutil.copyfile(database, partial)
    os.replace(partial, template)


def seed(venv: Path, workdir: Path, orders: int) -> tuple[dict, Path]:
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pretix_bench_seed", str(orders), str(workdir)],
        env=peer_env(workdir),
        cwd=workdir,
        check=True,
    )
    return json.loads((workdir / "seed.json").read_text()), workdir / "secrets.txt"


def start_gunicorn(venv: Path, workdir: Path, port: int) -> subprocess.Popen:
    log = (workdir / "gunicorn.log").open("w")
    command = [
        str(venv / "bin" / "python"), "-m", "gunicorn",
        "--workers", "1",
        "--worker-class", "sync",
        "--backlog", "256",
        "--bind", f"127.0.0.1:{port}",
        "--log-level", "warning",
        "pretix.wsgi:application",
    ]  # fmt: skip
    # pretix logs every 4xx answer at WARNING: into the file, not over the table
    process = subprocess.Popen(
        command, env=peer_env(workdir), cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print((workdir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            raise SystemExit("pretix's gunicorn did not start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/floor", timeout=5) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("pretix's gunicorn did not answer in 60 s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the arbiter and its worker
        process.wait(5)


# --- measuring and checking --------------------------------------------------------------------


def check_database(database: Path) -> dict:
    connection = sqlite3.connect(database)
    try:
        entry = "FROM pretixbase_checkin WHERE successful AND type = 'entry'"
        ok_rows = connection.execute(f"SELECT count(*) {entry}").fetchone()[0]
        admitted = connection.execute(f"SELECT count(DISTINCT position_id) {entry}").fetchone()[0]
        twice = connection.execute(
            f"SELECT count(*) FROM (SELECT position_id {entry} GROUP BY position_id "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
        by_result = dict(
            connection.execute(
                "SELECT coalesce(error_reason, 'ok'), count(*) FROM pretixbase_checkin GROUP BY 1"
            ).fetchall()
        )
    finally:
        connection.close()
    return {"admitted": admitted, "ok_rows": ok_rows, "admitted_twice": twice,
            "by_result": by_result}  # fmt: skip


def measure_pretix(args: argparse.Namespace, venv: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="outreach-peer-pretix-") as folder:
        workdir = Path(folder)
        database = workdir / "pretix.sqlite3"
        write_config(workdir, database)
        migrated_database(venv, workdir, database)
        print(f"seeding {args.orders} paid orders into {database} …", flush=True)
        facts, secrets_file = seed(venv, workdir, args.orders)
        port = checkin._free_port()
        base = f"http://127.0.0.1:{port}"
        floor_url = f"{base}/bench/floor"
        redeem_url = f"{base}/api/v1/organizers/{facts['organizer']}/checkinrpc/redeem/"
        server = start_gunicorn(venv, workdir, port)
        results: dict[str, dict] = {}
        rounds: dict[str, list[dict]] = {}
        sent = 0
        try:
            for _ in range(50):  # warm-up, as bench/checkin.py
                urllib.request.urlopen(
                    urllib.request.Request(floor_url, data=b"{}", method="POST"), timeout=5
                ).close()
            for _round in range(args.rounds):
                for kind, url in (("floor", floor_url), ("redeem", redeem_url)):
                    figures = checkin.run_wrk(
                        url, kind=kind, token=facts["token"], codes=secrets_file,
                        seconds=args.seconds, connections=args.connections, workdir=workdir,
                        offset=sent, lua=PRETIX_LUA,
                        extra_env={"BENCH_LIST": str(facts["list_id"])},
                    )  # fmt: skip
                    rounds.setdefault(kind, []).append(figures)
                    if kind == "redeem":  # the next round starts with tickets not yet redeemed
                        sent += figures["requests"] + args.connections
                    if kind not in results or figures["rps"] > results[kind]["rps"]:
                        results[kind] = figures
        finally:
            stop(server)
        after = check_database(database)
    ok_answers = sum(r["requests"] - r["non2xx"] for r in rounds["redeem"])
    # a request still in flight when wrk stops is done by the server but not counted by wrk
    in_flight = args.rounds * args.connections + sum(r["errors"] for r in rounds["redeem"])
    after["ok_answers"] = ok_answers
    after["consistent"] = (
        after["admitted_twice"] == 0
        and after["admitted"] == after["ok_rows"]
        and ok_answers <= after["ok_rows"] <= ok_answers + in_flight
    )
    return {"floor": results["floor"], "scan": results["redeem"], "rounds": rounds,
            "after": after}  # fmt: skip


def _row(measured: dict) -> dict:
    floor, scan = measured["floor"], measured["scan"]
    ratio = scan["rps"] / floor["rps"] if floor["rps"] else 0.0

    def pick(m: dict) -> dict:
        return {"rps": round(m["rps"], 1), "p50_ms": round(m["p50_ms"], 2),
                "p99_ms": round(m["p99_ms"], 2), "errors": m["errors"] + m["non2xx"],
                "requests": m["requests"]}  # fmt: skip

    return {
        "floor": pick(floor),
        "checkin": pick(scan),
        "ratio": round(ratio, 3),
        "rounds_rps": {k: [round(r["rps"], 1) for r in v] for k, v in measured["rounds"].items()},
        "check": measured["after"],
    }


def machine_facts() -> dict:
    try:
        from bench.suite import machine_facts as suite_facts

        return suite_facts()
    except (ImportError, metadata.PackageNotFoundError):  # without the app's packages
        return {"cores": os.cpu_count(), "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version, "platform": platform.platform()}  # fmt: skip


def print_report(report: dict) -> None:
    s = report["settings"]
    peer = report["peer"]
    print(
        f"\ncheck-in API side by side — SQLite, 1 gunicorn sync worker each, {s['tickets']} "
        f"tickets, {s['connections']} connections, {s['seconds']} s per measurement, best of "
        f"{s['rounds']} alternating rounds, load by wrk; pretix {peer['pretix']} (Django "
        f"{peer['django']}, Python {peer['python']})"
    )
    print(f"{'':26}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>10}{'errors':>8}{'ratio':>8}")
    labels = {"outreach": ("scan API", "floor"), "pretix": ("checkinrpc/redeem", "floor")}
    for name, row in report["results"].items():
        for key, label in (("floor", labels[name][1]), ("checkin", labels[name][0])):
            m = row[key]
            ratio = f"{row['ratio']:8.2f}" if key == "checkin" else ""
            print(
                f"{name + ' ' + label:26}{m['rps']:9.0f}{m['p50_ms']:9.2f}{m['p99_ms']:10.2f}"
                f"{m['errors']:8d}{ratio}"
            )
    for name, row in report["results"].items():
        rounds = "; ".join(
            f"{k} " + ", ".join(f"{x:.0f}" for x in v) for k, v in row["rounds_rps"].items()
        )
        print(f"  {name} rounds req/s: {rounds}")
        c = row["check"]
        extra = (
            f", {c['ok_answers']} ok answers, {c['admitted_twice']} admitted twice"
            if name == "pretix"
            else ""
        )
        print(
            f"  {name} after the run: {c['admitted']} admitted, {c['ok_rows']} ok rows{extra}, "
            f"answers {c['by_result']}"
        )
    results = report["results"]
    for name, row in results.items():
        repeats = {k: v for k, v in row["check"]["by_result"].items() if k != "ok"}
        if repeats:  # the rounds ran past the seeded tickets and scanned some a second time
            print(
                f"  note: {name}'s rounds needed more than {s['tickets']} tickets, so some "
                f"requests were repeats ({repeats}); a round of repeats may be the one kept"
            )
    if "outreach" in results:
        ours, theirs = results["outreach"]["checkin"], results["pretix"]["checkin"]
        print(
            f"pretix redeem / outreach scan: {theirs['rps'] / ours['rps']:.2f}× the req/s, "
            f"p99 {theirs['p99_ms']:.0f} ms against {ours['p99_ms']:.1f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="per measurement (max 20)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--orders", type=int, default=10_000, help="tickets, as --delegates")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (max 5)")
    parser.add_argument("--ours", action="store_true", help="also run bench.checkin, side by side")
    parser.add_argument("--json", type=Path, default=RESULTS / "peer-pretix.json")
    parser.add_argument("--venv", type=Path, default=CACHE / "pretix-venv")
    args = parser.parse_args(argv)
    args.seconds = max(1, min(args.seconds, 20))
    args.rounds = max(1, min(args.rounds, 5))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    CACHE.mkdir(parents=True, exist_ok=True)
    peer = ensure_venv(args.venv.expanduser())
    results: dict[str, dict] = {}
    if args.ours:
        print("outreach: bench.checkin's measurement …", flush=True)
        results["outreach"] = _row(
            checkin.measure(
                delegates=args.orders, seconds=args.seconds, connections=args.connections,
                rounds=args.rounds, generator="wrk", keep="best",
            )
        )  # fmt: skip
    print(f"pretix {peer['pretix']}: the same load on its check-in API …", flush=True)
    results["pretix"] = _row(measure_pretix(args, args.venv.expanduser()))

    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"seconds": args.seconds, "rounds": args.rounds,
                     "connections": args.connections, "workers": 1, "database": "sqlite",
                     "tickets": args.orders, "generator": "wrk", "keep": "best round"},
        "machine": machine_facts(),
        "peer": peer,
        "results": results,
    }  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    print(f"written: {args.json}")
    consistent = all(row["check"].get("consistent", True) for row in results.values())
    if "outreach" in results:
        check = results["outreach"]["check"]
        consistent = consistent and check["admitted"] == check["ok_rows"]
    if not consistent:
        print("INCONSISTENT: admissions and ok answers or rows differ", file=sys.stderr)
    return 0 if consistent else 1


if __name__ == "__main__":
    raise SystemExit(main())
