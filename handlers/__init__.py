"""Slack and scheduler edge, CLI and composition root."""
