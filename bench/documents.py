"""Benchmark of briefing uploads and the document pack, as ratios to copying files on disk.

    python -m bench.documents [--upload-mb 200] [--pack-documents 50] [--pack-mb 2]

What it does, all on 127.0.0.1 and in a temporary folder (removed afterwards):

1. seeds a SQLite file with a conference, one agenda session, a division staff user, and
   ``--pack-documents`` ready public documents of ``--pack-mb`` MB each (written through the
   real upload service, so they are hashed, checked and moved into place);
2. starts gunicorn with ONE sync worker serving ``outreach:create_app()`` on that file, with
   the size limits raised for the big upload and CSRF and throttling off;
3. uploads one ``--upload-mb`` MB file (a PDF header followed by random bytes) through the real
   staff form, streamed by httpx, and reports the time as a ratio to ``shutil.copyfile`` of the
   same file (plus fsync, as the upload does), and the worker's peak resident memory (VmHWM)
   before and after;
4. downloads the conference's ZIP pack and reports its time as a ratio to copying the same
   bytes, and the worker's peak memory after it.

Speed targets live here, never in tests. Goal: upload <= 4x a disk copy; the worker's peak
memory grows by less than 64 MB for a 200 MB upload and for the pack (memory stays flat).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
EMAIL = "bench-qlkh@example.vn"
SLUG = "bench-documents"
GOAL_UPLOAD_RATIO = 4.0
GOAL_MEMORY_MB = 64


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _random_file(path: Path, megabytes: int, *, header: bytes = b"%PDF-1.7\n") -> None:
    block = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        out.write(header)
        for _ in range(megabytes):
            out.write(block)


def _seed(folder: Path, database: str, pack_documents: int, pack_mb: int) -> None:
    import datetime as dt

    from outreach import create_app
    from outreach.accounts import services as account_services
    from outreach.accounts.models import Division
    from outreach.accounts.models import Organization
    from outreach.conferences.models import AgendaSession
    from outreach.conferences.models import Conference
    from outreach.database import db
    from outreach.documents import services

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database,
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.app_context():
        db.create_all()
        organization = Organization(name="Sở KH&CN (bench)", short_name="Sở", kind="other")
        division = Division(organization=organization, name="Phòng Quản lý Khoa học", code="QLKH")
        db.session.add_all([organization, division])
        db.session.flush()
        account_services.create_user(
            email=EMAIL, name="Bench", role="division_staff", password=PASSWORD, division=division
        )
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        conference = Conference(
            slug=SLUG,
            title="Hội nghị đo hiệu năng",
            host=organization,
            venue_name="Hội trường",
            province_code=24,
            ward_code=7582,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            capacity=100,
            status="published",
        )
        session = AgendaSession(
            conference=conference,
            title="Phiên đo",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            division=division,
        )
        db.session.add_all([conference, session])
        db.session.flush()
        store = services.Storage(folder=str(folder / "uploads"), max_bytes=1 << 40)
        source = folder / "pack-source.pdf"
        _random_file(source, pack_mb)
        for index in range(pack_documents):
            with source.open("rb") as handle:
                services.upload_documents(
                    [services.Upload(f"Tài liệu {index + 1:02d}.pdf", handle)],
                    session=session if index < pack_documents // 2 else None,
                    conference=conference,
                    state="ready",
                    actor=None,
                    now=dt.datetime.now(dt.UTC),
                    store=store,
                )
        db.session.commit()
        session_id = session.id
    return session_id


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _copy_seconds(source: Path, target: Path) -> float:
    start = time.perf_counter()
    shutil.copyfile(source, target)
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())
    elapsed = time.perf_counter() - start
    target.unlink()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=200)
    parser.add_argument("--pack-documents", type=int, default=50)
    parser.add_argument("--pack-mb", type=int, default=2)
    args = parser.parse_args(argv)
    import httpx

    folder = Path(tempfile.mkdtemp(prefix="outreach-bench-documents-"))
    database = f"sqlite:///{folder / 'bench.sqlite3'}"
    server = None
    try:
        session_id = _seed(folder, database, args.pack_documents, args.pack_mb)
        port = _free_port()
        limit = (args.upload_mb + 16) * 1024 * 1024
        env = {
            **os.environ,
            "OUTREACH_INSTANCE_PATH": str(folder),
            "OUTREACH_SECRET_KEY": secrets.token_hex(16),
            "OUTREACH_DATABASE_URL": database,
            "OUTREACH_UPLOAD_FOLDER": str(folder / "uploads"),
            "OUTREACH_MAX_CONTENT_LENGTH": str(limit),
            "OUTREACH_UPLOAD_MAX_BYTES": str(limit),
            "OUTREACH_WTF_CSRF_ENABLED": "false",
            "OUTREACH_RATELIMIT_ENABLED": "false",
            "TMPDIR": str(folder),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "outreach:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/conferences/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        workers = _children(server.pid)
        worker = workers[0] if workers else server.pid

        client = httpx.Client(base_url=base, timeout=300, follow_redirects=False)
        client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        big = folder / "big.pdf"
        _random_file(big, args.upload_mb)
        copy_seconds = _copy_seconds(big, folder / "copy.pdf")
        rss_before = _peak_rss_mb(worker)
        with big.open("rb") as handle:
            start = time.perf_counter()
            response = client.post(
                f"/staff/sessions/{session_id}/documents",
                data={"visibility": "public", "state": "draft"},
                files={"files": ("Tệp lớn.pdf", handle, "application/pdf")},
            )
            upload_seconds = time.perf_counter() - start
        if response.status_code != 302:
            print(f"upload failed: HTTP {response.status_code}", file=sys.stderr)
            return 1
        rss_upload = _peak_rss_mb(worker)

        pack_bytes = args.pack_documents * (args.pack_mb * 1024 * 1024 + 9)
        pack_copy = folder / "pack-copy.bin"
        _random_file(pack_copy, args.pack_documents * args.pack_mb, header=b"")
        pack_copy_seconds = _copy_seconds(pack_copy, folder / "pack-copy-2.bin")
        start = time.perf_counter()
        received = 0
        with httpx.stream(
            "GET", f"{base}/conferences/{SLUG}/documents.zip", timeout=300
        ) as zip_response:
            for chunk in zip_response.iter_bytes():
                received += len(chunk)
        pack_seconds = time.perf_counter() - start
        rss_pack = _peak_rss_mb(worker)

        upload_ratio = upload_seconds / copy_seconds
        print(
            f"upload {args.upload_mb} MB: {upload_seconds:.2f} s, disk copy {copy_seconds:.2f} s, "
            f"ratio {upload_ratio:.2f} (goal <= {GOAL_UPLOAD_RATIO})"
        )
        print(
            f"worker peak RSS: {rss_before:.1f} MB before, {rss_upload:.1f} MB after upload "
            f"(+{rss_upload - rss_before:.1f} MB, goal < {GOAL_MEMORY_MB} MB)"
        )
        print(
            f"ZIP pack of {args.pack_documents} documents: {received / 1048576:.1f} MB "
            f"(expected ~{pack_bytes / 1048576:.1f} MB) in {pack_seconds:.2f} s, disk copy "
            f"{pack_copy_seconds:.2f} s, ratio {pack_seconds / pack_copy_seconds:.2f}"
        )
        print(f"worker peak RSS after pack: {rss_pack:.1f} MB (+{rss_pack - rss_upload:.1f} MB)")
        memory_ok = (
            rss_upload - rss_before < GOAL_MEMORY_MB and rss_pack - rss_upload < GOAL_MEMORY_MB
        )
        return 0 if memory_ok and upload_ratio <= GOAL_UPLOAD_RATIO else 2
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
