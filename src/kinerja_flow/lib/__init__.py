"""Shared plumbing: database, errors, wire schemas."""
