"""Terraform's Pub/Sub publisher grants are exactly what each workload publishes.

Every workload is driven through the ways it publishes (tests/publish_scenarios.py); per
workload, the topics it published to must equal its grants in terraform/pubsub.tf
(`publishers`). So that a new way to publish cannot slip past the scenarios, every publish site
of the deployed code (tests/publish_sites.py: every call that leads to a queue's publish) must
be on a recorded call stack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from publish_scenarios import WORKLOADS, drive_everything
from publish_sites import ROOT, deployed_modules, publish_sites
from recorded_deployment import Deployment, deploy
from terraform_hcl import load


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[Deployment]:
    async with deploy(tmp_path) as deployment:
        yield deployment


def _granted() -> dict[str, set[str]]:
    granted: dict[str, set[str]] = {workload: set() for workload in WORKLOADS}
    for key, grant in load().local("publishers").items():
        assert key == f"{grant['topic']}/{grant['workload']}"
        assert grant["workload"] in granted, f"a grant to an unknown workload: {key}"
        granted[grant["workload"]].add(grant["topic"])
    return granted


async def test_each_workload_may_publish_exactly_where_it_publishes(d: Deployment) -> None:
    await drive_everything(d)

    published = {workload: d.queue.topics.get(workload, set()) for workload in WORKLOADS}
    assert published == _granted()


async def test_every_way_the_deployed_code_publishes_is_driven(d: Deployment) -> None:
    sites = publish_sites()

    await drive_everything(d)

    reached = d.queue.reached(ROOT)
    missed = [str(s) for s in sites if not any(s.covers(p, line) for p, line in reached)]
    assert len(sites) > 20 and "\n".join(missed) == ""


def test_the_site_finder_follows_calls_into_the_deployed_services_only() -> None:
    modules, sites = deployed_modules(), publish_sites()

    assert "signal_copier.services.polling" in modules
    assert "signal_copier.services.local" not in modules  # local mode's pipeline: not deployed
    functions = {(s.function.rsplit(".", 1)[-1], s.call) for s in sites}
    assert ("_publish_pages", "deps.queue.publish_many") in functions  # a direct site
    assert ("_park", "messages.publish_intents") in functions  # through a module's function
    assert ("handle_delivery", "handle_broker_event") in functions  # through an import
