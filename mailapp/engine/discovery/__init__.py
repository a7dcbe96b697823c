"""Account discovery: find the server settings of an e-mail address, each step visible.

The public names are re-exported here; `discover()` lives in run.py. Imports: the
engine.discovery modules.
"""

from __future__ import annotations

from mailapp.engine.discovery.model import (
    ISPDB_BASE_URL,
    STEP_ORDER,
    STEP_TITLES,
    DiscoveryConfig,
    DiscoveryResult,
    DiscoveryStep,
    FoundServer,
    Progress,
    StepName,
    StepOutcome,
    describe,
)
from mailapp.engine.discovery.run import build_context, discover, normalize_address
from mailapp.protocols.autoconfig import ServerCandidate, ServerKind

__all__ = [
    "ISPDB_BASE_URL",
    "STEP_ORDER",
    "STEP_TITLES",
    "DiscoveryConfig",
    "DiscoveryResult",
    "DiscoveryStep",
    "FoundServer",
    "Progress",
    "ServerCandidate",
    "ServerKind",
    "StepName",
    "StepOutcome",
    "build_context",
    "describe",
    "discover",
    "normalize_address",
]
