"""Declarations analysts write: panel and layout specs, their loader and `cockpit check`."""
