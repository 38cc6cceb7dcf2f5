"""Workflows as data: TOML definitions, their checker, and the shared decision engine."""
