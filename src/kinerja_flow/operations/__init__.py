"""Endpoints over the platform itself: audit chain verification, the outbox."""
