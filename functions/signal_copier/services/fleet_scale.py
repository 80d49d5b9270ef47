"""The sweep's `fleet_scaled` step: size the listener fleet for the linked Telegram sessions.

The load is the FleetStore's count of linked sessions; core/leases.py decides the listener count
(capacity per listener with headroom; growing at once, shrinking only with twice the headroom)
and the FleetScaler port sets it (the Cloud Run worker pool in the cloud). Running it twice in
a row changes nothing the second time, so an overlapping sweep is harmless.
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.services.deps import Deps
from signal_copier.services.fleet import scale_fleet


async def scale_listeners(deps: Deps, now: datetime) -> int:
    """Set the listener count the linked sessions need; return 1 if it changed, else 0."""
    if deps.fleet is None:
        return 0
    fleet = deps.fleet
    changed = await scale_fleet(fleet.store, fleet.scaler, fleet.policy)
    return 0 if changed is None else 1
