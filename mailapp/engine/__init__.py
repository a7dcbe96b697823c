"""The mail engine: accounts, account tests, sending, receiving, delivery tracking.

Imports: everything below it; never Qt. The facade the window uses is `mailapp.engine.api`.
"""
