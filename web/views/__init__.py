"""Blueprints that only route, validate and render; the work is done by `agreements` operations."""
