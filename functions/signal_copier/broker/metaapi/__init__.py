"""The MetaAPI broker adapter (metaapi-cloud-sdk 29.x): one module per concern.

connections.py caches MetaApi objects and RPC connections, account.py is one account through
the BrokerAccount port, payloads.py turns SDK payloads into domain values, errors.py is the one
table from MetaAPI errors and trade codes to BrokerRejected / BrokerUnavailable.
"""

from signal_copier.broker.metaapi.account import MetaApiAccount
from signal_copier.broker.metaapi.calls import Limits
from signal_copier.broker.metaapi.connections import MetaApiBroker

__all__ = ["Limits", "MetaApiAccount", "MetaApiBroker"]
