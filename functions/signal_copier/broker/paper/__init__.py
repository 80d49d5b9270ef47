"""The paper broker: a deterministic MT5-like server for local mode and tests."""

from signal_copier.broker.paper.server import PaperAccount, PaperBroker

__all__ = ["PaperAccount", "PaperBroker"]
