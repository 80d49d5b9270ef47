"""Broker adapters: MetaAPI (cloud) and a paper MT5 server (local mode and tests)."""
