"""The layer contracts bite: a forbidden import added to a copy of the package makes
import-linter (which the test command runs) fail, naming the contract and the import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(exe), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "mailapp", tmp_path / "mailapp", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract", "edge"),
    [
        (
            "engine/profile.py",
            "import PySide6",
            "Only ui and app import Qt",
            "mailapp.engine.profile -> PySide6",
        ),
        (
            "protocols/smtp_params.py",
            "import asyncio",
            "Pure layers never touch asyncio or sockets",
            "mailapp.protocols.smtp_params -> asyncio",
        ),
        (
            "store/blobs.py",
            "import mailapp.engine.profile",
            "Layers point down only",
            "mailapp.store.blobs -> mailapp.engine.profile",
        ),
        (
            "ui/empty_state.py",
            "import mailapp.store.db",
            "The window sees only core and engine.api",
            "mailapp.ui.empty_state -> mailapp.store.db",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    package_copy: Path, module: str, line: str, contract: str, edge: str
) -> None:
    clean = lint_imports(package_copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    target = package_copy / "mailapp" / module
    target.write_text(target.read_text() + f"\n{line}  # injected by the test\n")
    broken = lint_imports(package_copy)
    assert broken.returncode != 0
    assert contract in broken.stdout
    assert edge in broken.stdout
