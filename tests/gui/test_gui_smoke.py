"""`mailapp --smoke-test` as the frozen build runs it: a separate process, offscreen, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_smoke_test_starts_shows_the_window_and_exits_0(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("MAILAPP_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "mailapp", "--smoke-test", "--profile", str(profile)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    log = (profile / "logs" / "mailapp.log").read_text(encoding="utf-8")
    assert "Smoke test: window shown" in log
    assert (profile / "window.ini").is_file()
