"""Providers: one thin adapter per resource type, on top of the official clients."""
