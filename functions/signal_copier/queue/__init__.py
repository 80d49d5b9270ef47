"""Queue adapters: `inprocess.InProcessQueue` (local) and the Pub/Sub queue (cloud).

This package imports neither adapter, so local mode never loads a cloud SDK.
"""
