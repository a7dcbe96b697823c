#!/usr/bin/env bash
# The test command: a virtual environment with the project and its test extra, the Debian
# packages the suite needs (Postfix, Dovecot, Xvfb, a Secret Service), then ruff, mypy,
# import-linter and pytest. Any failure exits non-zero. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${MAILAPP_VENV:-.venv}
PYTHON=${PYTHON:-python3}

# --- system packages ------------------------------------------------------------------------
# Postfix and Dovecot are real peers for the integration tests; Xvfb and the xcb libraries let
# the window run for screenshots; gnome-keyring + dbus are a real Secret Service; dnsmasq is
# the loopback DNS server for discovery tests.
PACKAGES=(postfix dovecot-imapd dovecot-pop3d dovecot-lmtpd openssl
  xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-shape0 libxcb-xkb1 libegl1 libgl1
  libfontconfig1 libdbus-1-3 fonts-dejavu-core gnome-keyring dbus dnsmasq-base)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tests/run.sh: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' install scripts from starting the system Postfix/Dovecot: the suite
    # starts its own private instances on loopback.
    policy_added=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      policy_added=1
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    [ -n "$policy_added" ] && rm -f /usr/sbin/policy-rc.d
  else
    echo "tests/run.sh: these Debian packages are missing: ${missing[*]}" >&2
    echo "  install them as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    echo "  (the integration tests need a real Postfix, which only runs as root)" >&2
    exit 2
  fi
fi

# --- Python environment ---------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "tests/run.sh: Python 3.11 or newer is needed ($PYTHON is $("$PYTHON" --version))" >&2
    exit 2
  }
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test,build]'
export PATH="$PWD/$VENV/bin:$PATH"

# --- checks ---------------------------------------------------------------------------------
# One command per line: under `set -e` a failure on the left of `&&` would not stop the script.
echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== import-linter"
lint-imports --no-cache
if [ $# -gt 0 ]; then
  echo "== pytest $*"; python -m pytest "$@"
else
  # The window tests run in a process of their own: Qt and qasync keep process-wide state
  # (the QApplication, socket notifiers) that must not outlive them into the engine tests.
  echo "== pytest (engine, protocols, integration)"; python -m pytest --ignore=tests/gui
  echo "== pytest (window)"; python -m pytest tests/gui
fi
