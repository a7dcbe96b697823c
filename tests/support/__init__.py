"""Test support: the private mail stack (mailstack) and scripted fake servers (fake_server).

Imported as `support` (tests/conftest.py puts tests/ on sys.path). Standard library only.
"""
