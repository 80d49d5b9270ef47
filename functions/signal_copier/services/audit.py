"""Record who changed what, when and from where (never the secret itself)."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core.dashboard import AuditAction, AuditEvent
from signal_copier.core.ports import WebStore
from signal_copier.core.redact import bounded


async def record(
    web: WebStore, user_id: str, action: AuditAction, now: datetime, ip: str, **detail: str
) -> None:
    """Write one audit event (and the user's activity line), its detail redacted and bounded."""
    clean = {key: bounded(value) for key, value in detail.items()}
    event = AuditEvent(user_id=user_id, action=action, at=now, ip=ip, detail=clean)
    await web.add_audit(event)
