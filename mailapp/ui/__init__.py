"""The Qt window: widgets and models. Talks to the engine only through `mailapp.engine.api`.

Imports: core, engine.api and PySide6.
"""
