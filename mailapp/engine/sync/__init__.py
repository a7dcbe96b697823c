"""The receiving engine's sync: IMAP folders and messages into the offline store.

Imports: core, protocols, transport, store (never Qt). The facade (engine.api) is the way in.
"""
