"""Shared kernel: event schema, messaging, outbox/inbox, auth, errors, settings, logging."""
