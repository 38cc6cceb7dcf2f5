"""Notifications: templated email written to a transactional outbox, delivered by a worker."""
