"""Dash callbacks, one module per feature, each with ``register(app)``; thin: the logic is in :mod:`dashboard.view`."""
