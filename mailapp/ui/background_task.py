"""One engine coroutine at a time for a window, run on the qasync loop while the window stays live.

`BackgroundTask.start(coro, done)` runs it as an asyncio task; `done(task)` is called when it
ends (also when cancelled). A defect (not a MailAppError) also goes to the loop's exception
handler, where the window's error hook logs and shows it. Imports: asyncio, core.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from mailapp.core.errors import MailAppError

Done = Callable[["asyncio.Task[Any]"], None]


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # A Qt slot called from the qasync loop's event processing: the loop exists but is
        # not "running" from asyncio's point of view at this instant.
        return asyncio.get_event_loop()


class BackgroundTask:
    def __init__(self, what: str) -> None:
        self.what = what  # for the error hook: "Account wizard test"
        self._task: asyncio.Task[Any] | None = None
        self._done: Done | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task[Any] | None:
        return self._task

    def start(self, coro: Coroutine[Any, Any, Any], done: Done) -> None:
        self.cancel()
        self._done = done
        task = _loop().create_task(coro)
        self._task = task
        task.add_done_callback(self._finished)

    def cancel(self) -> None:
        """Stop the running task; its done callback still runs (with a cancelled task)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def detach(self) -> None:
        """Cancel without calling back: the window is going away and must not be touched."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.remove_done_callback(self._finished)
            task.cancel()

    def _finished(self, task: asyncio.Task[Any]) -> None:
        if task is not self._task:
            return  # a task replaced by a newer one
        done = self._done
        if not task.cancelled():
            exc = task.exception()
            if exc is not None and not isinstance(exc, MailAppError):
                task.get_loop().call_exception_handler(
                    {"message": f"{self.what} failed", "exception": exc, "task": task}
                )
        if done is not None:
            done(task)


def failure(task: asyncio.Task[Any]) -> BaseException | None:
    """The task's exception, None when it succeeded or was cancelled."""
    if task.cancelled():
        return None
    return task.exception()
