"""Policies kept as data (distribution patterns, follow-up rules, holidays), checked on load."""
