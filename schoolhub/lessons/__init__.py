"""Lessons: Resolution 57 lesson material that teachers write, publish and share."""
