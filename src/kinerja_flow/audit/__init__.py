"""Audit trail: append-only events chained by SHA-256 so edits and deletions show."""
