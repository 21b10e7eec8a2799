"""Chaupal's own API additions under /api/chaupal/v1/ (institutions, directory, insights)."""
