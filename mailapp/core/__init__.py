"""Pure values, errors, events and ids shared by every layer.

Imports: the standard library only (never asyncio, sockets or Qt).
"""
