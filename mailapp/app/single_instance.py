"""One window per profile: a second launch hands its `mailto:` link to the running one.

The first launch on a profile takes a lock file in the profile (QLockFile, which notices a
lock left by a crashed process) and listens on a local socket (QLocalServer). Later launches
find the lock taken, connect, send one JSON line and wait for "ok". The socket name comes from
the user and the profile path, so two profiles (or two users) run side by side.
Imports: Qt (QtCore, QtNetwork) and the standard library.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("mailapp.app")

LOCK_FILE_NAME = "window.lock"
PROTOCOL_VERSION = 1
# A mailto: link is at most core.mailto.MAX_LINK_CHARS characters; UTF-8 and JSON escaping
# may grow it, so leave room. Anything longer is not from us.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
ACK = b"ok\n"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name (containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def server_name(profile_root: Path, user: str | None = None) -> str:
    """The local socket for this user and profile.

    On Unix a full path in $XDG_RUNTIME_DIR (private to the user) when there is one, else a
    name Qt puts in the temp directory (and the server restricts to the user). On Windows a
    named pipe name. Hashed: a profile path may be long, and socket paths may not (108 bytes).
    """
    key = f"{user if user is not None else _user()}\0{Path(profile_root).absolute()}"
    name = "mailapp-" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if sys.platform != "win32" and runtime and Path(runtime).is_dir():
        return str(Path(runtime) / name)
    return name


class InstanceGuard(QObject):
    """The first instance's lock and server, or a later instance's way to hand off."""

    # A mailto: link from another launch, or "" when it only asked to raise the window.
    received = Signal(str)

    def __init__(self, profile_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile_root = Path(profile_root)
        self.name = server_name(self.profile_root)
        self._lock = QLockFile(str(self.profile_root / LOCK_FILE_NAME))
        # Never stale by age: only when the process that holds it is gone (QLockFile checks).
        self._lock.setStaleLockTime(0)
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytearray] = {}

    @property
    def is_primary(self) -> bool:
        return self._server is not None

    def claim(self) -> bool:
        """Become the profile's window process. False: another live process already is."""
        self.profile_root.mkdir(parents=True, exist_ok=True)
        if not self._lock.tryLock(0):
            if self._lock.error() == QLockFile.LockError.LockFailedError:
                return False
            # The profile is not writable: start without single-instance rather than not at
            # all, and leave any socket alone (it may belong to a live instance).
            log.warning("Cannot take %s (error %s)", self._lock.fileName(), self._lock.error())
            return True
        # We hold the lock, so a socket left under this name is from a crashed instance.
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.setMaxPendingConnections(8)
        if not server.listen(self.name):
            log.warning("Cannot listen on %s: %s", self.name, server.errorString())
            server.deleteLater()
            return True
        server.newConnection.connect(self._accept)
        self._server = server
        log.debug("Listening on %s", server.fullServerName())
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()

    # -- the first instance ----------------------------------------------------------------

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            # Typed non-optional, but Qt returns null when the client already went away.
            socket: QLocalSocket | None = self._server.nextPendingConnection()
            if socket is None:
                break
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if b"\n" not in buffer:
            if len(buffer) > MAX_MESSAGE_BYTES:
                log.warning("Dropped an over-long message from another launch")
                self._buffers[socket] = bytearray()
                socket.abort()
            return
        line = bytes(buffer.split(b"\n", 1)[0])
        self._buffers[socket] = bytearray()
        url = self._decode(line)
        if url is None:
            socket.abort()
            return
        socket.write(ACK)
        socket.flush()
        socket.disconnectFromServer()
        self.received.emit(url)

    @staticmethod
    def _decode(line: bytes) -> str | None:
        try:
            message = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("Ignored an unreadable message from another launch")
            return None
        if not isinstance(message, dict) or message.get("v") != PROTOCOL_VERSION:
            log.warning("Ignored a message from another launch of a different version")
            return None
        url = message.get("mailto")
        return url if isinstance(url, str) else ""

    # -- a later instance ----------------------------------------------------------------

    def hand_off(self, mailto: str | None, timeout_s: float = 10.0) -> bool:
        """Give `mailto` (or just "show yourself") to the running instance; True once it said
        ok. Retries while it is still starting up (lock taken, not yet listening)."""
        payload = json.dumps({"v": PROTOCOL_VERSION, "mailto": mailto}).encode("utf-8") + b"\n"
        deadline = time.monotonic() + timeout_s
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.name)
            if socket.waitForConnected(1000):
                socket.write(payload)
                answer = b""
                if socket.waitForBytesWritten(5000):
                    while len(answer) < len(ACK) and socket.waitForReadyRead(5000):
                        answer += bytes(socket.readAll().data())
                socket.abort()
                if answer.startswith(ACK):
                    return True
                log.warning("The running instance did not confirm the hand-off")
                return False
            socket.abort()
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
