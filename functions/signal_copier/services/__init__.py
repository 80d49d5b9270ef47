"""Use cases: gather → decide (core) → apply (ports)."""
