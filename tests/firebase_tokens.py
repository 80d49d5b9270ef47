"""Firebase ID tokens as firebase_admin accepts them while FIREBASE_AUTH_EMULATOR_HOST is set.

No Firebase Auth emulator runs here: in that mode firebase_admin accepts unsigned tokens (and
mints unsigned custom tokens), so the checks that remain are the uid, claims, audience, issuer
and the error table; production refuses the variable (config.py).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def id_token(project: str, uid: str, **changes: Any) -> str:
    """Return an unsigned Firebase ID token for `uid` in `project` (claims overridable)."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "sub": uid,
        "iat": now - 10,
        "exp": now + 3600,
        "auth_time": now - 10,
        "tg_id": 424242,
        **changes,
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def custom_token_claims(token: str) -> dict[str, Any]:
    """Return the payload of a custom token firebase_admin minted."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
