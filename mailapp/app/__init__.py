"""Composition root: builds the engine, runs the qasync loop, the command line.

Imports: anything.
"""
