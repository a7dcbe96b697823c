"""The message list on a 100,000-message folder: time to ready and first paint, time per
page while scrolling, resident memory; printed next to the targets (performance.md).

Usage (from the repository root):  QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui.py
Options: --messages N (default 100000), --pages N (default 50), --repeat N (default 3).

It fills a throw-away profile's store with generated header rows (deterministic seed,
realistic sizes, one row in three unread), opens the folder in the real MessageListView the
window uses (1000x700, offscreen), and measures:
- open: from asking the model for the folder until the view has painted its rows, both the
  synchronous path and the one the app takes (ids read in a worker thread on the qasync
  loop); the bare SQL id query is printed beside it as the floor;
- scroll: Page Down `--pages` times, each followed by a synchronous repaint;
- memory: VmRSS after scrolling, and the peak (ru_maxrss).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_OPEN_S = 0.3
TARGET_PAGE_MS = 16.0
TARGET_RSS_MB = 350.0


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def fill(engine, count: int) -> int:  # type: ignore[no-untyped-def]
    from mailapp.store.folders import FolderRepository, FolderRole
    from mailapp.store.messages import MessageFlag, MessageRepository, NewMessage

    database, _ = engine._mail_store()
    inbox = FolderRepository(database).upsert("bench", "INBOX", role=FolderRole.INBOX)
    rng = random.Random(20240301)
    words = [
        *("invoice", "meeting", "report", "holiday", "budget", "release", "draft", "review"),
        *("lunch", "update", "Rechnung", "Besprechung", "réunion", "会議", "報告", "roadmap"),
    ]
    people = [(f"Person {i}", f"person{i}@example.org") for i in range(2000)]
    base = datetime(2015, 1, 1, tzinfo=UTC)

    def rows():  # type: ignore[no-untyped-def]
        for i in range(count):
            name, addr = people[rng.randrange(len(people))]
            flags = MessageFlag.SEEN if rng.random() > 0.33 else MessageFlag.NONE
            if rng.random() < 0.05:
                flags |= MessageFlag.FLAGGED
            subject = " ".join(rng.choice(words) for _ in range(rng.randint(3, 9)))
            yield NewMessage(
                uid=i + 1,
                internal_date=base + timedelta(minutes=i * 47 + rng.randrange(40)),
                size=rng.randint(2_000, 50_000),
                flags=flags,
                subject=("Re: " if rng.random() < 0.3 else "") + subject,
                from_name=name,
                from_addr=addr,
                to="bench@example.org",
                has_attachment=rng.random() < 0.2,
            )

    # One executemany per 20,000 rows (the store's own batch insert).
    MessageRepository(database).insert_many(inbox.id, rows(), batch_size=20_000)
    return inbox.id


class PaintWatch:
    def __init__(self, widget) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QEvent, QObject

        class Filter(QObject):
            def __init__(self, outer: PaintWatch) -> None:
                super().__init__()
                self.outer = outer

            def eventFilter(self, obj, event):  # type: ignore[no-untyped-def]
                if event.type() == QEvent.Type.Paint:
                    self.outer.painted = True
                return False

        self.painted = False
        self._filter = Filter(self)
        widget.installEventFilter(self._filter)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from mailapp.engine.api import Engine
    from mailapp.secrets.memory import MemoryCredentialStore
    from mailapp.ui.message_list import MessageListView

    app = QApplication.instance() or QApplication(["bench"])
    with tempfile.TemporaryDirectory(prefix="mailapp-bench-gui-") as tmp:
        engine = Engine.open(str(Path(tmp) / "profile"), credentials=MemoryCredentialStore())
        started = time.perf_counter()
        folder_id = fill(engine, args.messages)
        print(f"generated {args.messages:,} messages in {time.perf_counter() - started:.1f} s")
        rss_before = rss_mb()

        floor = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            engine.message_ids(folder_id)
            floor.append(time.perf_counter() - t)

        view = MessageListView(engine=engine)
        view.resize(1000, 700)
        view.show()
        app.processEvents()
        watch = PaintWatch(view.viewport())
        model = view.message_model

        def open_sync() -> float:
            model.show_folder(None)
            app.processEvents()
            watch.painted = False
            t = time.perf_counter()
            model.show_folder(folder_id)
            while not watch.painted:
                app.processEvents()
            return time.perf_counter() - t

        def open_threaded() -> float:
            import qasync

            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)

            async def run() -> float:
                model.show_folder(None)
                await asyncio.sleep(0)
                watch.painted = False
                t = time.perf_counter()
                model.folder_id = folder_id
                model.reload()  # no size hint: the id query goes to a worker thread
                assert model.pending is not None
                await model.pending
                while not watch.painted:
                    await asyncio.sleep(0)
                return time.perf_counter() - t

            try:
                return loop.run_until_complete(run())
            finally:
                loop.close()
                asyncio.set_event_loop(None)

        sync_times = [open_sync() for _ in range(args.repeat)]
        thread_times = [open_threaded() for _ in range(args.repeat)]
        assert model.rowCount() == args.messages

        view.setFocus()
        view.setCurrentIndex(model.index(0, 0))
        app.processEvents()
        pages: list[float] = []
        reading: list[bool] = []  # the page had to read a new window of rows
        for _ in range(args.pages):
            before = len(model.fetched_windows)
            t = time.perf_counter()
            QTest.keyClick(view, Qt.Key.Key_PageDown)
            view.viewport().repaint()
            pages.append((time.perf_counter() - t) * 1000)
            reading.append(len(model.fetched_windows) > before)
        app.processEvents()
        rss_after = rss_mb()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        windows = len(set(model.fetched_windows))

        def verdict(ok: bool) -> str:
            return "ok" if ok else "MISSED"

        open_sync_s = statistics.median(sync_times)
        open_thread_s = statistics.median(thread_times)
        page_median = statistics.median(pages)
        page_max = max(pages)
        print()
        print(f"{'measure':44} {'value':>12} {'target':>10}")
        print(
            f"{'SQL id query alone (floor), median':44} {statistics.median(floor) * 1000:>9.1f} ms"
        )
        print(
            f"{'open + first paint, sync, median':44} {open_sync_s * 1000:>9.1f} ms"
            f" {'< 300 ms':>10}  {verdict(open_sync_s < TARGET_OPEN_S)}"
            f"  ({open_sync_s / statistics.median(floor):.1f}x the floor)"
        )
        print(
            f"{'open + first paint, worker thread, median':44} {open_thread_s * 1000:>9.1f} ms"
            f" {'< 300 ms':>10}  {verdict(open_thread_s < TARGET_OPEN_S)}"
        )
        print(
            f"{'page down + repaint, median':44} {page_median:>9.2f} ms {'< 16 ms':>10}"
            f"  {verdict(page_median < TARGET_PAGE_MS)}"
        )
        print(
            f"{'page down + repaint, worst of ' + str(args.pages):44} {page_max:>9.2f} ms"
            f" {'< 16 ms':>10}  {verdict(page_max < TARGET_PAGE_MS)}"
        )
        with_read = [ms for ms, r in zip(pages, reading, strict=True) if r]
        without = [ms for ms, r in zip(pages, reading, strict=True) if not r]
        if with_read and without:
            print(
                f"{'  pages reading a window / the others, median':44}"
                f" {statistics.median(with_read):>6.1f} / {statistics.median(without):.1f} ms"
            )
        print(f"{'windows of rows read while scrolling':44} {windows:>12}")
        print(
            f"{'resident memory after scrolling (VmRSS)':44} {rss_after:>9.0f} MB"
            f" {'< 350 MB':>10}  {verdict(rss_after < TARGET_RSS_MB)}"
        )
        print(f"{'  of which before the window existed':44} {rss_before:>9.0f} MB")
        print(
            f"{'peak resident memory (ru_maxrss)':44} {peak:>9.0f} MB {'< 350 MB':>10}"
            f"  {verdict(peak < TARGET_RSS_MB)}"
        )
        view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
