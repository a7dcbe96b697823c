"""Build mailapp's installers for the OS this runs on, and smoke-test the frozen program.

1. The translations (resources/translations/*.ts) compiled with PySide6's lrelease, then a
   PyInstaller one-folder bundle from installers/pyinstaller/mailapp.spec -> dist/mailapp/
   (the .qm files go to mailapp/ui/i18n/ in it; docs/adr/0006-translations.md).
2. Linux: an AppDir (dist/mailapp.AppDir, usr/bin, usr/share/applications, hicolor icon,
   metainfo) and dist/mailapp-VERSION-linux-ARCH.tar.gz of it.
   Windows: the Inno Setup installer (installers/windows/mailapp.iss) when `iscc` is found.
   macOS: dist/mailapp.app (Info.plist with the mailto: scheme) and, with --package, a .dmg.
3. The frozen program is run with `--smoke-test`, `--language de` and a mailto: link on a
   fresh profile (QT_QPA_PLATFORM=offscreen) and its command line with `--help`; any
   failure exits 1.

Usage: python installers/build.py [--clean] [--no-package]
Needs PyInstaller in this interpreter: pip install -e '.[build]'. Imports: the standard
library; Qt (PySide6) only to render the Windows/macOS icon from the SVG.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "installers" / "pyinstaller" / "mailapp.spec"
APP_ICON = ROOT / "mailapp" / "ui" / "app-icon.svg"
DESKTOP_FILE = ROOT / "resources" / "mailapp.desktop"
METAINFO_FILE = ROOT / "resources" / "io.github.mailapp.metainfo.xml"
ISS_FILE = ROOT / "installers" / "windows" / "mailapp.iss"
MAKE_DMG = ROOT / "installers" / "macos" / "make_dmg.sh"
TRANSLATIONS = ROOT / "resources" / "translations"
APP_NAME = "mailapp"
# Files the program reads at run time; the bundle is refused if one is missing.
REQUIRED_DATA = (
    "mailapp/store/migrations/0001_mail.sql",
    "mailapp/ui/app-icon.svg",
    "mailapp/ui/images/delivery-delivered.svg",
    "mailapp/ui/i18n/mailapp_de.qm",
)
SMOKE_LANGUAGE = "de"
SMOKE_LINK = "mailto:smoke@example.org?subject=Smoke%20test&body=Frozen%20build"
SMOKE_TIMEOUT_S = 180


class BuildError(Exception):
    pass


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def tree_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink() and p.is_file())


# -- icons -------------------------------------------------------------------------------


def render_icons(work: Path) -> Path | None:
    """The application icon in the format this OS's executable wants (None: Linux, whose
    desktop reads the SVG itself)."""
    current: str = sys.platform  # a plain str: mypy would drop the other OSes' branches
    if current not in ("win32", "darwin"):
        return None
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(APP_ICON))

    def image(size: int) -> QImage:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        renderer.render(painter)
        painter.end()
        return img

    work.mkdir(parents=True, exist_ok=True)
    if current == "win32":
        ico = work / "mailapp.ico"
        if not image(256).save(str(ico), b"ICO"):
            raise BuildError("Qt could not write the .ico icon")
        return ico
    iconset = work / "mailapp.iconset"
    iconset.mkdir(exist_ok=True)
    for size in (16, 32, 128, 256, 512):
        image(size).save(str(iconset / f"icon_{size}x{size}.png"))
        image(size * 2).save(str(iconset / f"icon_{size}x{size}@2x.png"))
    icns = work / "mailapp.icns"
    subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(icns)], check=True)
    return icns


# -- translations ------------------------------------------------------------------------


def compile_translations(work: Path) -> Path:
    """resources/translations/*.ts -> work/translations/*.qm with PySide6's lrelease."""
    import PySide6

    lrelease = Path(PySide6.__file__).resolve().parent / (
        "lrelease.exe" if sys.platform == "win32" else "lrelease"
    )
    if not lrelease.is_file():
        raise BuildError(f"PySide6's lrelease is missing ({lrelease})")
    target = work / "translations"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    sources = sorted(TRANSLATIONS.glob("mailapp_*.ts"))
    if not sources:
        raise BuildError(f"no translations in {TRANSLATIONS}")
    for source in sources:
        qm = target / f"{source.stem}.qm"
        subprocess.run([str(lrelease), "-silent", str(source), "-qm", str(qm)], check=True)
        if not qm.is_file():
            raise BuildError(f"lrelease made no {qm.name}")
    log(f"compiled {len(sources)} translation(s) into {target}")
    return target


# -- the bundle --------------------------------------------------------------------------


def run_pyinstaller(
    dist: Path, work: Path, icon: Path | None, clean: bool, translations: Path
) -> Path:
    env = dict(os.environ)
    env["MAILAPP_TRANSLATIONS"] = str(translations)
    env["MAILAPP_VERSION"] = project_version()
    env["MAILAPP_ICON"] = str(icon) if icon else ""
    # Analyse the checkout itself, whatever kind of install the interpreter has of it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={dist}",
        f"--workpath={work / 'pyinstaller'}",
        str(SPEC),
    ]
    if clean:
        command.insert(3, "--clean")
    log("running " + " ".join(command[2:]))
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    bundle = dist / APP_NAME
    if not bundle.is_dir():
        raise BuildError(f"PyInstaller made no {bundle}")
    return bundle


def data_root(bundle: Path) -> Path:
    internal = bundle / "_internal"  # PyInstaller >= 6 keeps everything but the program here
    return internal if internal.is_dir() else bundle


def remove_dangling_links(bundle: Path) -> None:
    # PyInstaller adds top-level links to Qt's libraries after the spec pruned some of them.
    for path in list(bundle.rglob("*")):
        if path.is_symlink() and not path.exists():
            path.unlink()


def check_bundle(bundle: Path) -> None:
    missing = [name for name in REQUIRED_DATA if not (data_root(bundle) / name).is_file()]
    if missing:
        raise BuildError("the bundle lacks " + ", ".join(missing))


def executable(bundle: Path, name: str = APP_NAME) -> Path:
    return bundle / (f"{name}.exe" if sys.platform == "win32" else name)


# -- Linux: AppDir and tarball -------------------------------------------------------------


def _copy_tree(source: Path, target: Path) -> None:
    # Hard links when possible: the AppDir is a second view of the same 170 MB.
    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)


def make_appdir(bundle: Path, dist: Path) -> Path:
    appdir = dist / f"{APP_NAME}.AppDir"
    if appdir.exists():
        shutil.rmtree(appdir)
    usr = appdir / "usr"
    _copy_tree(bundle, usr / "lib" / APP_NAME)
    (usr / "bin").mkdir(parents=True)
    # PyInstaller's bootloader finds its files from the real path, so a symlink works.
    (usr / "bin" / APP_NAME).symlink_to(Path("..") / "lib" / APP_NAME / APP_NAME)
    share = usr / "share"
    for source, target in (
        (DESKTOP_FILE, share / "applications" / "mailapp.desktop"),
        (APP_ICON, share / "icons" / "hicolor" / "scalable" / "apps" / "mailapp.svg"),
        (METAINFO_FILE, share / "metainfo" / METAINFO_FILE.name),
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    # What appimagetool expects at the top of an AppDir.
    shutil.copy2(DESKTOP_FILE, appdir / "mailapp.desktop")
    shutil.copy2(APP_ICON, appdir / "mailapp.svg")
    (appdir / ".DirIcon").symlink_to("mailapp.svg")
    (appdir / "AppRun").symlink_to(Path("usr") / "bin" / APP_NAME)
    return appdir


def make_tarball(appdir: Path, dist: Path) -> Path:
    name = f"{APP_NAME}-{project_version()}-linux-{platform.machine() or 'unknown'}"
    tarball = dist / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(appdir, arcname=name)
    return tarball


# -- smoke test ----------------------------------------------------------------------------


def smoke_test(program: Path, cli_program: Path) -> None:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("MAILAPP_PROFILE", None)
    with tempfile.TemporaryDirectory(prefix="mailapp-smoke-") as tmp:
        profile = Path(tmp) / "profile"
        command = [str(program), "--smoke-test", "--profile", str(profile)]
        command += ["--language", SMOKE_LANGUAGE, SMOKE_LINK]
        log("smoke test: " + " ".join(command))
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S, check=False
        )
        log_file = profile / "logs" / "mailapp.log"
        log_text = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
        if done.returncode != 0 or "Smoke test: window shown" not in log_text:
            raise BuildError(
                f"the frozen program's smoke test failed (exit {done.returncode})\n"
                f"--- stderr\n{done.stderr}\n--- log\n{log_text}"
            )
        if "Composer opened from a mailto: link" not in log_text:
            raise BuildError(f"the frozen program did not open the mailto: link\n{log_text}")
        # The compiled-in catalog, not one compiled at run time.
        packaged = f"Interface language: {SMOKE_LANGUAGE} ("
        if packaged not in log_text or "i18n" not in log_text.split(packaged, 1)[1].split(")")[0]:
            raise BuildError(f"the frozen program did not load its translation\n{log_text}")
    if sys.platform == "darwin":
        return  # a windowed .app has no usable stdout for --help
    done = subprocess.run(
        [str(cli_program), "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "account" not in done.stdout:
        raise BuildError(f"the frozen command line failed: {done.stdout}{done.stderr}")
    log("smoke test passed")


# -- platform packages ---------------------------------------------------------------------


def package_windows(bundle: Path, dist: Path, icon: Path | None) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if not iscc:
        log("Inno Setup's iscc not found: skipping the installer (bundle is in dist/mailapp)")
        return None
    defines = [
        f"/DAppVersion={project_version()}",
        f"/DBundleDir={bundle}",
        f"/DOutputDir={dist}",
    ]
    if icon:
        defines.append(f"/DSetupIcon={icon}")
    subprocess.run([iscc, *defines, str(ISS_FILE)], check=True)
    return dist / f"mailapp-{project_version()}-setup.exe"


def package_macos(dist: Path) -> Path:
    subprocess.run(["bash", str(MAKE_DMG), str(dist / "mailapp.app"), str(dist)], check=True)
    return dist / f"mailapp-{project_version()}.dmg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output directory")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build", help="PyInstaller's work directory"
    )
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument(
        "--no-package", action="store_true", help="bundle and smoke test only (no tar/dmg/exe)"
    )
    args = parser.parse_args(argv)
    if importlib.util.find_spec("PyInstaller") is None:
        print(
            "build: PyInstaller is not installed in this Python "
            f"({sys.executable}); install it with: pip install -e '.[build]'",
            file=sys.stderr,
        )
        return 2
    dist: Path = args.dist.absolute()
    work: Path = args.work.absolute()
    started = time.monotonic()
    artifacts: list[Path] = []
    try:
        icon = render_icons(work / "icons")
        translations = compile_translations(work)
        bundle = run_pyinstaller(dist, work, icon, args.clean, translations)
        remove_dangling_links(bundle)
        check_bundle(bundle)
        built = time.monotonic()
        program, cli_program = executable(bundle), executable(bundle)
        if sys.platform.startswith("linux"):
            appdir = make_appdir(bundle, dist)
            artifacts.append(appdir)
            program = cli_program = appdir / "usr" / "bin" / APP_NAME
        elif sys.platform == "win32":
            cli_program = executable(bundle, "mailapp-cli")
        elif sys.platform == "darwin":
            app = dist / "mailapp.app"
            artifacts.append(app)
            program = cli_program = app / "Contents" / "MacOS" / APP_NAME
        smoke_test(program, cli_program)
        if not args.no_package:
            if sys.platform.startswith("linux"):
                artifacts.append(make_tarball(dist / f"{APP_NAME}.AppDir", dist))
            elif sys.platform == "win32":
                setup = package_windows(bundle, dist, icon)
                artifacts += [setup] if setup else []
            elif sys.platform == "darwin":
                artifacts.append(package_macos(dist))
    except (BuildError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1
    size = tree_size(bundle)
    total = round(time.monotonic() - started, 1)
    summary = {
        "bundle": str(bundle),
        "bundle_bytes": size,
        "pyinstaller_seconds": round(built - started, 1),
        "total_seconds": total,
        "artifacts": [str(p) for p in artifacts],
    }
    log(f"done in {total} s (PyInstaller {summary['pyinstaller_seconds']} s); {size / 1e6:.0f} MB")
    print("BUILD-SUMMARY " + json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
