"""`python installers/build.py`: the PyInstaller bundle, the platform package, and the frozen
program's own smoke test (window shown offscreen, a mailto: link opened, the CLI answering).

Slow (tens of seconds). It never skips: without PyInstaller it fails and says how to get it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "installers" / "build.py"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_build_bundle_package_and_smoke_test(tmp_path: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail(
            "PyInstaller is not installed in the test environment; install the build extra: "
            f"{sys.executable} -m pip install -e '.[test,build]'"
        )
    dist, work = tmp_path / "dist", tmp_path / "work"
    env = dict(os.environ)
    env.pop("MAILAPP_PROFILE", None)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(BUILD), f"--dist={dist}", f"--work={work}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1100,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "build: smoke test passed" in done.stdout
    summary_line = next(
        line for line in done.stdout.splitlines() if line.startswith("BUILD-SUMMARY ")
    )
    summary = json.loads(summary_line.removeprefix("BUILD-SUMMARY "))
    record_property("build_seconds", round(elapsed, 1))
    record_property("bundle_megabytes", round(summary["bundle_bytes"] / 1e6))
    print(f"frozen build: {elapsed:.1f} s, bundle {summary['bundle_bytes'] / 1e6:.0f} MB")

    bundle = dist / "mailapp"
    internal = bundle / "_internal"
    for data in (
        "mailapp/store/migrations/0001_mail.sql",
        "mailapp/ui/app-icon.svg",
        *(f"mailapp/ui/images/delivery-{s}.svg" for s in ("queued", "sent", "failed", "read")),
    ):
        assert (internal / data).is_file(), data
    # Qt modules the program does not use stay out of the bundle.
    assert not list(internal.rglob("libQt6Quick*"))
    assert not list(internal.rglob("libQt6Qml*"))

    if sys.platform.startswith("linux"):
        appdir = dist / "mailapp.AppDir"
        usr = appdir / "usr"
        assert (usr / "bin" / "mailapp").resolve() == (usr / "lib" / "mailapp" / "mailapp")
        desktop = usr / "share" / "applications" / "mailapp.desktop"
        assert "MimeType=x-scheme-handler/mailto;" in desktop.read_text(encoding="utf-8")
        assert (usr / "share" / "icons" / "hicolor" / "scalable" / "apps" / "mailapp.svg").is_file()
        assert (usr / "share" / "metainfo" / "io.github.mailapp.metainfo.xml").is_file()
        assert (appdir / "AppRun").resolve() == (usr / "lib" / "mailapp" / "mailapp")
        if shutil.which("desktop-file-validate"):
            check = subprocess.run(
                ["desktop-file-validate", str(desktop)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert check.returncode == 0 and not check.stdout.strip(), check.stdout
        tarballs = list(dist.glob("mailapp-*-linux-*.tar.gz"))
        assert len(tarballs) == 1
        with tarfile.open(tarballs[0]) as tar:
            names = set(tar.getnames())
        top = tarballs[0].name.removesuffix(".tar.gz")
        for member in ("AppRun", "usr/bin/mailapp", "usr/share/applications/mailapp.desktop"):
            assert f"{top}/{member}" in names, member
