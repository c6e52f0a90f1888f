"""Import-direction rules from STYLE.md §5, checked with ``ast``."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "outreach"
LAYER_FILES = sorted(
    p
    for p in PACKAGE.rglob("*.py")
    if p.name in ("services.py", "models.py") or p == PACKAGE / "database.py"
)
FORBIDDEN_FLASK_NAMES = {"request", "session", "g", "flash", "abort", "url_for", "current_app"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.module, alias.name


@pytest.mark.parametrize("path", LAYER_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_services_and_models_stay_below_the_web_layer(path):
    for module, name in _imports(path):
        assert not module.startswith("flask_login"), f"{path.name} imports flask_login"
        assert not module.endswith((".views", ".forms")), f"{path.name} imports {module}"
        assert name not in ("views", "forms"), f"{path.name} imports {module}.{name}"
        if module == "flask":
            assert name not in FORBIDDEN_FLASK_NAMES, f"{path.name} imports flask.{name}"


def test_there_are_layer_files_to_check():
    assert any(p.name == "services.py" for p in LAYER_FILES)
