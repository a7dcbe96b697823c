"""Sans-IO protocol logic: IMAP/POP3 parsers and command builders, MIME, delivery reports.

Imports: core and the standard library; never asyncio, sockets, SQLite or Qt.
"""
