"""Accounts: sign-in identities, invitations, passwords and bearer tokens."""
