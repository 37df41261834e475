"""Lessons tests: writing, reading, search, files, sharing."""
