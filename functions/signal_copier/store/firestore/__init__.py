"""Firestore store (cloud mode): the same shapes as the SQLite store, on AsyncClient."""
