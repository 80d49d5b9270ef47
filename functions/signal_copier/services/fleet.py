"""The listener: own shards through leases, run their users' Telegram sessions, drain on SIGTERM.

Exclusivity holds by timing (core/leases.py): every Telegram action of a session is preceded
by a lease check (`may_run`), and a watchdog stops a shard's sessions `fence_lead` before its
unrenewed lease ends. Residual risk, bounded but not removable without a fencing token in
Telegram: a process paused (VM freeze, SIGSTOP, CPU starvation) from before its fence time
until after a new owner connected still has its TCP connections open while frozen, and on
waking may handle updates already buffered before its watchdog runs. It never dials again
(the supervisor checks the lease before every connect; Telethon's auto-reconnect is off), its
handlers drop messages once `may_run` is false, and the watchdog ends the connections within
`watchdog_every` of waking. Messages it still publishes carry its old epoch and are absorbed by
the pipeline's dedupe of (chat, message, version). Only a pause longer than
fence_lead + takeover_margin (20 s) can overlap with a new owner at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from signal_copier.core import leases as rules
from signal_copier.core.errors import CopierError
from signal_copier.core.fleet import SessionLink
from signal_copier.core.leases import Capacity
from signal_copier.core.ports import FleetScaler, FleetStore
from signal_copier.services.fleet_parts import FleetDeps, FleetSettings
from signal_copier.services.fleet_publish import Publisher
from signal_copier.services.fleet_sessions import SessionRunner

__all__ = ["FleetDeps", "FleetSettings", "Listener", "scale_fleet"]
log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class Held:
    """A shard this listener owns: its epoch and how long the last renewal lets it run."""

    epoch: int
    until: datetime  # lease end as of the last successful renewal (sent time + ttl)


class Listener:
    """One listener process: scan, take, renew and fence shards; run their sessions."""

    def __init__(self, deps: FleetDeps, settings: FleetSettings, owner: str) -> None:
        self.deps, self.settings, self.owner = deps, settings, owner
        self.publisher = Publisher(deps.queue)
        self.held: dict[int, Held] = {}
        self.runners: dict[str, SessionRunner] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()  # sessions with watermarks to write

    def may_run(self, shard: int) -> bool:
        """Return whether the shard is ours and not yet due to be fenced."""
        held = self.held.get(shard)
        timing = self.settings.timing
        return held is not None and self.deps.clock() < rules.fence_at(held.until, timing)

    def epoch(self, shard: int) -> int:
        """Return the epoch of a held shard (0 if it is not held)."""
        held = self.held.get(shard)
        return 0 if held is None else held.epoch

    @property
    def sessions_running(self) -> int:
        """Return the number of sessions this listener supervises."""
        return len(self.runners)

    async def scan(self) -> datetime | None:
        """Take the free or expired shards whose sessions fit; return when to look again."""
        now, timing = self.deps.clock(), self.settings.timing
        shards = await self.deps.store.shards(expiring_before=now + timing.scan_every)
        capacity = Capacity(limit=self.settings.capacity, running=self.sessions_running)
        taken = []
        chosen = rules.choose_shards(
            shards,
            owner=self.owner,
            now=now,
            timing=timing,
            capacity=capacity,
            per_scan=self.settings.per_scan,
        )
        for shard in chosen:
            lease = await self.deps.store.acquire(shard, self.owner, now, timing)
            if lease is not None:
                self.held[shard] = Held(epoch=lease.epoch, until=lease.expires)
                taken.append(shard)
        if taken:
            log.info("%s took shards %s", self.owner, taken)
            self._start(await self.deps.store.sessions(taken))
        return rules.next_takeover(shards, self.owner, now, timing)

    async def renew(self) -> None:
        """Extend every held lease; stop the sessions of shards that were lost."""
        asked = {shard: held.epoch for shard, held in self.held.items()}
        if not asked:
            return
        sent = self.deps.clock()
        kept = await self.deps.store.renew(asked, self.owner, sent, self.settings.timing)
        for shard, lease in kept.items():
            held = self.held.get(shard)
            if held is not None and held.epoch == lease.epoch:
                held.until = lease.expires
        lost = [s for s in asked if s not in kept and s in self.held]
        orphaned = {s: e for s, e in asked.items() if s in kept and s not in self.held}
        await self._drop(lost, "lease lost")
        if orphaned:  # fenced while the renewal was in flight: hand it back rather than idle
            await self.deps.store.release(orphaned, self.owner, self.deps.clock())

    async def fence(self) -> None:
        """Stop the sessions of every shard whose lease may end before a renewal succeeds."""
        now, timing = self.deps.clock(), self.settings.timing
        due = [s for s, held in self.held.items() if now >= rules.fence_at(held.until, timing)]
        await self._drop(due, "not renewed in time: fenced")

    async def ping(self) -> None:
        """Ping every connected session (Telegram drops those whose pings stop)."""
        for runner in list(self.runners.values()):  # connecting and filling ones too
            try:
                await runner.ping()  # sends without waiting for the answer
            except CopierError as e:  # its supervisor sees the dead connection
                log.info("ping of %s failed: %s", runner.user_id, e)

    async def refresh(self) -> None:
        """Re-read who is linked in the held shards and what they follow."""
        if not self.held:
            return
        links = await self.deps.store.sessions(sorted(self.held))
        wanted = {link.user_id: link for link in links if self.may_run(link.shard)}
        for user in [u for u in self.runners if u not in wanted]:
            await self._stop(user)
        self._start([link for link in wanted.values() if link.user_id not in self.runners])
        for user, link in wanted.items():
            runner = self.runners.get(user)
            if runner is not None and set(link.chats) != runner.chats:
                await runner.follow(runner.update_chats(link.chats))

    async def flush(self) -> None:
        """Write every changed watermark in one batch (kept for the next try if it fails)."""
        users, self._dirty = self._dirty, set()
        runners = [r for u in sorted(users) if (r := self.runners.get(u)) is not None]
        marks = [mark for runner in runners for mark in runner.marks.take_dirty()]
        try:
            await self.deps.store.save_watermarks(marks)
        except BaseException:
            for runner in runners:
                runner.marks.put_back([m for m in marks if m.user_id == runner.user_id])
            raise

    async def drain(self) -> None:
        """Stop every session, write the watermarks, hand the leases back (SIGTERM)."""
        held = {shard: h.epoch for shard, h in self.held.items()}
        await self._drop(list(self.held), "draining")
        if held:
            await self.deps.store.release(held, self.owner, self.deps.clock())
        log.info("%s drained: %d shards handed back", self.owner, len(held))

    async def run(self, stop: asyncio.Event) -> None:
        """Run every duty at its interval until `stop` is set, then drain."""
        s = self.settings
        duties = [
            self._every(s.timing.renew_every.total_seconds(), self.renew),
            self._every(s.watchdog_every.total_seconds(), self.fence),
            self._every(s.flush_every.total_seconds(), self.flush),
            self._every(s.roster_every.total_seconds(), self.refresh),
            self._every(s.ping_every.total_seconds(), self.ping),
            self._scanning(),
        ]
        tasks = [asyncio.create_task(duty) for duty in duties]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            try:  # Cloud Run kills the instance ~10 s after SIGTERM
                await asyncio.wait_for(self.drain(), self.settings.drain_timeout.total_seconds())
            except TimeoutError:
                log.warning(
                    "%s: drain timed out; unreleased leases expire by themselves", self.owner
                )

    async def _every(self, seconds: float, duty: Callable[[], Awaitable[None]]) -> None:
        while True:
            await self.deps.sleep(seconds)
            await self._guarded(duty)

    async def _scanning(self) -> None:
        every = self.settings.timing.scan_every.total_seconds()
        while True:
            wake = await self._guarded(self.scan)
            wait = every
            if isinstance(wake, datetime):
                wait = min(every, max((wake - self.deps.clock()).total_seconds(), 0.0))
            await self.deps.sleep(wait)

    async def _guarded(self, duty: Callable[[], Awaitable[object]]) -> object:
        name = getattr(duty, "__name__", "duty")
        try:
            return await duty()
        except CopierError as e:  # the store is down: the watchdog keeps ownership safe
            log.warning("%s: %s failed: %s", self.owner, name, e)
        except Exception:  # a duty loop must outlive a bug; the trace goes to the log
            log.exception("%s: %s failed unexpectedly", self.owner, name)
        return None

    def _start(self, links: Iterable[SessionLink]) -> None:
        for link in links:
            if link.user_id in self.runners or not self.may_run(link.shard):
                continue
            runner = SessionRunner(link, self, self._dirty.add)
            self.runners[link.user_id] = runner
            self._tasks[link.user_id] = asyncio.create_task(self._supervise(runner))

    async def _supervise(self, runner: SessionRunner) -> None:
        try:
            await runner.run()  # returns when revoked or fenced; a stop cancels it instead
        except Exception:  # never leave a dead runner registered: refresh restarts it
            log.exception("%s: supervisor of %s ended unexpectedly", self.owner, runner.user_id)
        if self.runners.get(runner.user_id) is runner:
            del self.runners[runner.user_id]
            self._tasks.pop(runner.user_id, None)
            await self._save_marks([runner])

    async def _drop(self, shards: list[int], why: str) -> None:
        if not shards:
            return
        gone = set(shards)
        users = [u for u, r in self.runners.items() if r.link.shard in gone]
        log.info("%s stops %d sessions of shards %s: %s", self.owner, len(users), sorted(gone), why)
        stopped = await asyncio.gather(*(self._stop(user) for user in users))
        for shard in gone:
            self.held.pop(shard, None)
        await self._save_marks(stopped)

    async def _stop(self, user: str) -> SessionRunner | None:
        runner = self.runners.pop(user, None)
        task = self._tasks.pop(user, None)
        if runner is None:
            return None
        await runner.stop()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        return runner

    async def _save_marks(self, runners: Iterable[SessionRunner | None]) -> None:
        # Best effort: a mark not written only makes the next owner publish a few duplicates.
        marks = [m for r in runners if r is not None for m in r.marks.take_dirty()]
        try:
            await self.deps.store.save_watermarks(marks)
        except CopierError as e:
            log.warning("%s: %d watermarks not written: %s", self.owner, len(marks), e)


async def scale_fleet(
    store: FleetStore, scaler: FleetScaler, policy: rules.ScalePolicy
) -> int | None:
    """Set the listener count the linked sessions need (run by the sweep); return it if changed."""
    sessions = await store.session_count()
    current = await scaler.instances()
    wanted = rules.scale_decision(current, sessions, policy)
    if wanted is not None:
        await scaler.set_instances(wanted)
        log.info("fleet scaled from %d to %d listeners for %d sessions", current, wanted, sessions)
    return wanted
