"""Credential stores: the OS keyring behind an allow-list, a session-only fallback, commands.

Imports: core and keyring; never the network, the store or Qt.
"""
