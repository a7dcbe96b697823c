"""The offline store: SQLite (WAL) metadata, numbered migrations, message files.

Imports: core, protocols and sqlite3; never the network, the engine or Qt.
"""
