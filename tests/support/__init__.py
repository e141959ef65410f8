"""Helpers shared by the test suite: real services on loopback and a composite-action runner."""
