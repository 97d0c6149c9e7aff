"""Mentoring programme edge: listeners, delivery, jobs and the CLI (import what you need)."""
