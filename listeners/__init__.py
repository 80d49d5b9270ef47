"""The listener fleet's Cloud Run worker pool entry point (main.py)."""
