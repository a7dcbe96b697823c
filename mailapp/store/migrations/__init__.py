"""Numbered schema migrations (NNNN_name.sql), shipped as package data and applied by db.py.

Holds no code; a package only so importlib.resources finds the files in any build.
"""
