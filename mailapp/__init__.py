"""mailapp: a desktop email client that tells you, per recipient, whether your mail arrived.

The package is layered (see docs/architecture.md): core <- protocols <- transport/store/secrets
<- engine <- ui <- app. Nothing here imports anything at package level.
"""

__version__ = "0.1.0"
