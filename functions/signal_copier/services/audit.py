"""Record who changed what, when and from where (never the secret itself)."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core.dashboard import AuditAction, AuditEvent
from signal_copier.core.ports import WebStore


async def record(
    web: WebStore, user_id: str, action: AuditAction, now: datetime, ip: str, **detail: str
) -> None:
    """Write one audit event (and the user's activity line)."""
    event = AuditEvent(user_id=user_id, action=action, at=now, ip=ip, detail=dict(detail))
    await web.add_audit(event)
