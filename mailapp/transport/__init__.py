"""Moving bytes: asyncio connections, the TLS policy, SMTP (aiosmtplib), IMAP/POP3 clients.

Imports: core, protocols, asyncio/ssl and aiosmtplib; never the store, the engine or Qt.
"""
