"""Test support for the analytics service: generated events, an independent computation."""
