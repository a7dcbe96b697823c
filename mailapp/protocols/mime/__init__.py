"""MIME: composing outgoing messages (compose), writing header fields (headers).

Kept minimal on purpose; import the modules themselves. Imports: core and the standard library.
"""
