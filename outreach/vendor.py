"""Copy the npm-installed browser libraries into ``outreach/static/vendor/``.

Run by ``make setup`` after ``npm install``; the vendor folder is never committed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: node_modules path -> name under static/vendor
VENDOR_FILES = {
    "jsqr/dist/jsQR.js": "jsQR.js",
}


def copy_vendor_files(root: Path = ROOT) -> list[str]:
    target = root / "outreach" / "static" / "vendor"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source, name in VENDOR_FILES.items():
        path = root / "node_modules" / source
        if not path.exists():
            print(f"vendor: {source} is missing; run npm install", file=sys.stderr)
            continue
        shutil.copyfile(path, target / name)
        copied.append(name)
    return copied


if __name__ == "__main__":
    copy_vendor_files()
