"""The steps of account discovery as a list: each step with an icon and a word, then its detail.

DiscoveryStepsModel holds one row per step in the order they run, updated in place as the
engine reports; DiscoveryView shows it. Imports: Qt, engine.api (its discovery values), ui.icons.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QWidget

from mailapp.engine.api import STEP_ORDER, DiscoveryStep, StepName, StepOutcome
from mailapp.ui.icons import themed_icon

AnyIndex = QModelIndex | QPersistentModelIndex

# The data role holding a row's StepOutcome value ("" while the step has not started).
OUTCOME_ROLE = Qt.ItemDataRole.UserRole + 1
STEP_ROLE = Qt.ItemDataRole.UserRole + 2

_ICONS: dict[str, tuple[tuple[str, ...], QStyle.StandardPixmap]] = {
    "": (("content-loading", "appointment-soon"), QStyle.StandardPixmap.SP_ArrowRight),
    StepOutcome.RUNNING: (("view-refresh",), QStyle.StandardPixmap.SP_BrowserReload),
    StepOutcome.FOUND: (("emblem-ok", "dialog-ok"), QStyle.StandardPixmap.SP_DialogApplyButton),
    StepOutcome.GUESSED: (("dialog-information",), QStyle.StandardPixmap.SP_MessageBoxInformation),
    StepOutcome.NOT_FOUND: (("list-remove",), QStyle.StandardPixmap.SP_DialogNoButton),
    StepOutcome.FAILED: (("dialog-error",), QStyle.StandardPixmap.SP_MessageBoxCritical),
    StepOutcome.SKIPPED: (("action-unavailable",), QStyle.StandardPixmap.SP_MediaSkipForward),
}


@dataclass(slots=True)
class _Row:
    step: StepName
    outcome: StepOutcome | None = None
    detail: str = ""
    tried: tuple[str, ...] = ()


class DiscoveryStepsModel(QAbstractListModel):
    """Six rows, one per discovery step, in the order they run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = [_Row(step) for step in STEP_ORDER]
        self._icons: dict[str, QIcon] = {}

    def titles(self) -> dict[StepName, str]:
        return {
            StepName.AUTOCONFIG: self.tr("Provider's autoconfig server"),
            StepName.WELL_KNOWN: self.tr("Domain's well-known autoconfig file"),
            StepName.ISPDB: self.tr("Thunderbird's provider database"),
            StepName.SRV: self.tr("DNS service records (SRV)"),
            StepName.MX: self.tr("Guess from the mail exchanger (MX)"),
            StepName.PROBE: self.tr("Connecting to the standard ports"),
        }

    def word(self, outcome: StepOutcome | None) -> str:
        words = {
            None: self.tr("waiting"),
            StepOutcome.RUNNING: self.tr("checking…"),
            StepOutcome.FOUND: self.tr("found"),
            StepOutcome.GUESSED: self.tr("names guessed"),
            StepOutcome.NOT_FOUND: self.tr("not found"),
            StepOutcome.FAILED: self.tr("failed"),
            StepOutcome.SKIPPED: self.tr("skipped"),
        }
        return words.get(outcome, str(outcome))

    def reset_steps(self) -> None:
        self.beginResetModel()
        self._rows = [_Row(step) for step in STEP_ORDER]
        self.endResetModel()

    def report(self, step: DiscoveryStep) -> QModelIndex:
        """Show one report from the engine; returns the row's index."""
        for number, row in enumerate(self._rows):
            if row.step is step.step:
                row.outcome, row.detail, row.tried = step.outcome, step.detail, step.tried
                index = self.index(number, 0)
                self.dataChanged.emit(index, index)
                return index
        return QModelIndex()

    def outcome(self, step: StepName) -> StepOutcome | None:
        return next(r.outcome for r in self._rows if r.step is step)

    def summary(self, number: int) -> str:
        """'Provider's autoconfig server: not found' (the row's first line)."""
        row = self._rows[number]
        return f"{self.titles()[row.step]}: {self.word(row.outcome)}"

    # -- QAbstractListModel --------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text = self.summary(index.row())
            return f"{text}\n{row.detail}" if row.detail else text
        if role == Qt.ItemDataRole.DecorationRole:
            key = row.outcome.value if row.outcome is not None else ""
            if key not in self._icons:
                names, fallback = _ICONS[key]
                self._icons[key] = themed_icon(names, fallback)
            return self._icons[key]
        if role == Qt.ItemDataRole.ToolTipRole:
            if not row.tried:
                return None
            return self.tr("Tried:") + "\n" + "\n".join(row.tried)
        if role == OUTCOME_ROLE:
            return row.outcome.value if row.outcome is not None else ""
        if role == STEP_ROLE:
            return row.step.value
        return None


class DiscoveryView(QListView):
    """The list of discovery steps; keyboard-navigable, each row readable by screen readers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("discoverySteps")
        self.setAccessibleName(self.tr("Discovery steps"))
        self.steps_model = DiscoveryStepsModel(self)
        self.setModel(self.steps_model)
        self.setWordWrap(True)
        self.setUniformItemSizes(False)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setResizeMode(QListView.ResizeMode.Adjust)

    def report(self, step: DiscoveryStep) -> None:
        index = self.steps_model.report(step)
        if index.isValid():
            self.scrollTo(index)

    def lines(self) -> list[str]:
        """The first line of every row, in order (what a person reads at a glance)."""
        return [self.steps_model.summary(n) for n in range(self.steps_model.rowCount())]
