"""Build step for wheels: the translation sources go into the package.

Everything else is in pyproject.toml. resources/translations/*.ts are copied to
mailapp/ui/i18n/ of the built package, where mailapp.ui.translations compiles them with
PySide6's lrelease into the user cache on first use (docs/adr/0006-translations.md). A
checkout or editable install reads them from resources/translations/ directly; the frozen
build compiles them itself (installers/build.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithTranslations(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "mailapp" / "ui" / "i18n"
        for source in sorted((HERE / "resources" / "translations").glob("mailapp_*.ts")):
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildPyWithTranslations})
