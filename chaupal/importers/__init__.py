"""Importers of other platforms' archives (an X/Twitter export) into an account's history."""
