"""Artwork the program loads at run time (SVG), shipped inside the package as data.

Read through importlib.resources, so it is found from a checkout, an installed wheel and the
PyInstaller bundle alike (docs/adr/0004-resources-and-frozen-builds.md). Drawn for mailapp,
GPL-3.0-or-later (resources/LICENSES.md). Imports: the standard library only.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

# The delivery states' icons, for where the icon theme has none (name -> file in this folder).
DELIVERY_ICONS = {
    "queued": "delivery-queued.svg",
    "sent": "delivery-sent.svg",
    "relayed": "delivery-relayed.svg",
    "delivered": "delivery-delivered.svg",
    "delayed": "delivery-delayed.svg",
    "failed": "delivery-failed.svg",
    "read": "delivery-read.svg",
}


def image(name: str) -> Traversable:
    """The shipped file `name` (e.g. "delivery-failed.svg"); a real file in all three cases
    above, so `str()` of it can go to QIcon."""
    return files(__name__).joinpath(name)
