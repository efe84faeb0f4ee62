"""Patch engines: Kubernetes strategic merge and JSON6902, both applied to round-trip trees."""
