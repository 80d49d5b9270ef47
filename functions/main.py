"""Cloud Functions entry points (functions-framework aio, one Starlette app per function).

Each push handler decodes the Pub/Sub push envelope, calls one service and answers: 2xx
acknowledges (done, Rejected and recorded, or malformed and logged), 5xx redelivers
(Retryable). Pub/Sub's OIDC token is checked for each endpoint's own subscription. Clients are
created inside the serving loop on first use and shared by every function of the process; `api`
hands its requests to the dashboard's API app (signal_copier.api), built on the same runtime.
"""

from __future__ import annotations

from datetime import datetime

from functions_framework import aio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from signal_copier import serving, serving_api
from signal_copier.core import codec, ids
from signal_copier.core.model import Intent, RawMessage
from signal_copier.push import PushMessage
from signal_copier.queue.pubsub import ORIGIN_ATTRIBUTE
from signal_copier.services import broker_events, dead_letters, pipeline
from signal_copier.services.deps import Deps
from signal_copier.services.sweep import run_sweep

SERVING = serving.process()
API = serving_api.process()


@aio.http
async def on_message(request: Request) -> Response:
    """A channel message: parse it once and publish one intent per subscriber."""
    return await SERVING.push(request, "on_message", _message)


async def _message(push: PushMessage, deps: Deps, now: datetime) -> str:
    message = codec.from_dict(RawMessage, push.data)
    ids.check_chat_id(message.chat_id)  # it becomes part of document ids
    record = await pipeline.handle_message(message, deps, now)
    return "duplicate" if record is None else "done"


@aio.http
async def on_intent(request: Request) -> Response:
    """One user's intent: execute it exactly once."""
    return await SERVING.push(request, "on_intent", _intent)


async def _intent(push: PushMessage, deps: Deps, now: datetime) -> str:
    intent = codec.from_dict(Intent, push.data)
    ids.check_id(intent.user_id, "user_id")
    ids.check_chat_id(intent.chat_id)
    result = await pipeline.execute_intent(intent, deps, now)
    return "duplicate" if result is None else str(result.status)


@aio.http
async def on_broker_event(request: Request) -> Response:
    """A fill or TP/SL hit to manage after, or the sweep's request to poll one account."""
    return await SERVING.push(request, "on_broker_event", _broker_event)


async def _broker_event(push: PushMessage, deps: Deps, now: datetime) -> str:
    return await broker_events.handle_delivery(push.data, push.attributes, deps, now)


@aio.http
async def on_dead_letter(request: Request) -> Response:
    """A message the queue gave up on: record it, so nothing that failed is silent."""
    return await SERVING.push(request, "on_dead_letter", _dead_letter)


async def _dead_letter(push: PushMessage, deps: Deps, now: datetime) -> str:
    origin = push.attributes.get(ORIGIN_ATTRIBUTE, "")
    return await dead_letters.record_dead_letter(
        origin, push.data, deps, now, attributes=push.attributes
    )


@aio.http
async def sweep(request: Request) -> Response:
    """Cloud Scheduler, every minute: run the sweep's steps."""
    return await SERVING.sweep(request, run_sweep)


@aio.http
async def api(request: Request) -> Response:
    """The dashboard's HTTP API (Firebase Hosting rewrites /api/** here), and a health route."""
    if request.url.path.rstrip("/") in ("", "/healthz"):
        return JSONResponse({"status": "ok"})
    return await API.answer(request)
