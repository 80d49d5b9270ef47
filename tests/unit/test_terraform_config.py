"""terraform/ read offline (python-hcl2): the layout, every reference, and the delivery rules.

`terraform validate` needs the Google provider from the registry, which this machine cannot
reach; these checks catch what it would (an undeclared variable, local or resource) plus the
project's own rules (timing table, push subscriptions, public access).
"""

from __future__ import annotations

import re

import pytest

from terraform_hcl import Terraform, load

_COMMENT = re.compile(r"(?m)(^|\s)#.*$")
_RESOURCE_REF = re.compile(r"(?<![\w.\"])((?:google|archive)_[a-z0-9_]+)\.([a-z0-9_]+)\b")
_DATA_REF = re.compile(r"\bdata\.([a-z0-9_]+)\.([a-z0-9_]+)\b")


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load()


def _code(tf: Terraform) -> str:
    return "\n".join(_COMMENT.sub(" ", text) for text in tf.text.values())


def test_layout_has_versions_variables_outputs_and_main(tf: Terraform) -> None:
    assert {"versions.tf", "variables.tf", "outputs.tf", "main.tf"} <= set(tf.text)
    assert {f for f, blocks in tf.blocks_by_file.items() if "variable" in blocks} == {
        "variables.tf"
    }
    assert {f for f, blocks in tf.blocks_by_file.items() if "output" in blocks} == {"outputs.tf"}
    assert {f for f, blocks in tf.blocks_by_file.items() if "terraform" in blocks} == {
        "versions.tf"
    }


def test_every_variable_is_typed_and_described(tf: Terraform) -> None:
    untyped = [name for name, body in tf.variables.items() if "type" not in body]
    undescribed = [name for name, body in tf.variables.items() if not body.get("description")]
    assert untyped == [] and undescribed == []


def test_every_output_is_described(tf: Terraform) -> None:
    assert [name for name, body in tf.outputs.items() if not body.get("description")] == []


def test_every_reference_names_something_declared(tf: Terraform) -> None:
    code = _code(tf)
    variables = set(re.findall(r"\bvar\.([a-z0-9_]+)", code))
    local_names = set(re.findall(r"\blocal\.([a-z0-9_]+)", code))
    resources = set(_RESOURCE_REF.findall(code))
    data = set(_DATA_REF.findall(code))
    assert variables - set(tf.variables) == set()
    assert local_names - set(tf.locals) == set()
    assert {r for r in resources if r[1] not in tf.resources.get(r[0], {})} == set()
    assert {d for d in data if d[1] not in tf.data.get(d[0], {})} == set()


def test_every_variable_and_local_is_used(tf: Terraform) -> None:
    code = _code(tf)
    assert [v for v in tf.variables if not re.search(rf"\bvar\.{v}\b", code)] == []
    assert [name for name in tf.locals if not re.search(rf"\blocal\.{name}\b", code)] == []


def test_functions_are_one_resource_per_entry_point_named_after_it(tf: Terraform) -> None:
    function = tf.resource("google_cloudfunctions2_function", "entry")
    assert function["for_each"] == "${local.functions}"
    assert function["name"] == "${each.key}"
    assert function["build_config"][0]["entry_point"] == "${each.key}"
    assert function["service_config"][0]["ingress_settings"] == "${each.value.ingress}"


def test_only_the_api_is_public(tf: Terraform) -> None:
    functions = tf.local("functions")
    public = {
        name
        for name, f in functions.items()
        if f["public"] or f["ingress"] != "ALLOW_INTERNAL_ONLY"
    }
    assert public == {"api"}
    all_users = [
        (kind, name)
        for kind, named in tf.resources.items()
        for name, body in named.items()
        if "allUsers" in str(body) or "allAuthenticatedUsers" in str(body)
    ]
    assert all_users == [("google_cloud_run_v2_service_iam_member", "api_public")]
    assert (
        'entry["api"]'
        in tf.resource("google_cloud_run_v2_service_iam_member", "api_public")["name"]
    )


def test_push_timing_follows_the_timing_table(tf: Terraform) -> None:
    push = tf.local("push")
    functions = tf.local("functions")
    consumers = [*tf.local("topics").values(), tf.local("dead_letter_consumer")]
    for consumer in consumers:
        assert push["ack_deadline_s"] >= functions[consumer]["timeout_s"], consumer
    assert (push["minimum_backoff"], push["maximum_backoff"]) == ("5s", "300s")
    assert push["max_delivery_attempts"] == 15


def test_every_push_subscription_has_dead_letters_retry_and_oidc(tf: Terraform) -> None:
    subscriptions = tf.resources["google_pubsub_subscription"]
    pushed = {n: tf.resource("google_pubsub_subscription", n) for n in subscriptions}
    pushed = {n: s for n, s in pushed.items() if "push_config" in s}
    assert set(pushed) == {"push", "dead_letter"}
    for name, body in pushed.items():
        assert (
            body["dead_letter_policy"][0]["max_delivery_attempts"]
            == "${local.push.max_delivery_attempts}"
        )
        assert body["retry_policy"][0]["minimum_backoff"] == "${local.push.minimum_backoff}"
        token = body["push_config"][0]["oidc_token"][0]
        assert token["service_account_email"] == "${google_service_account.push.email}", name
        assert token["audience"].startswith("${local.push_audience}/"), name
        assert body["ack_deadline_seconds"] == "${local.push.ack_deadline_s}", name
        assert body["enable_message_ordering"] is False, name
        assert body["expiration_policy"][0]["ttl"] == "", name


def test_the_pubsub_agent_may_forward_dead_letters(tf: Terraform) -> None:
    topics = tf.resource("google_pubsub_topic_iam_member", "agent_publishes_dead_letters")
    subscriptions = tf.resource("google_pubsub_subscription_iam_member", "agent_acknowledges_push")
    assert topics["topic"] == "${google_pubsub_topic.dead_letter[each.key].name}"
    assert topics["member"] == subscriptions["member"] == "${local.pubsub_agent}"
    assert (topics["role"], subscriptions["role"]) == (
        "roles/pubsub.publisher",
        "roles/pubsub.subscriber",
    )


def test_the_worker_pool_leaves_its_instance_count_to_scale_fleet(tf: Terraform) -> None:
    pool = tf.resource("google_cloud_run_v2_worker_pool", "listeners")
    assert pool["scaling"][0]["scaling_mode"] == "MANUAL"
    assert pool["lifecycle"][0]["ignore_changes"] == ["${scaling[0].manual_instance_count}"]
    grant = tf.resource("google_cloud_run_v2_worker_pool_iam_member", "sweep_scales")
    assert grant["member"] == 'serviceAccount:${google_service_account.workload["sweep"].email}'
    role = tf.resource("google_project_iam_custom_role", "fleet_scaler")
    assert set(role["permissions"]) == {"run.workerPools.get", "run.workerPools.update"}


def test_the_sweep_runs_every_minute_with_oidc(tf: Terraform) -> None:
    job = tf.resource("google_cloud_scheduler_job", "sweep")
    assert job["schedule"] == "* * * * *"
    token = job["http_target"][0]["oidc_token"][0]
    assert token["audience"] == "${local.push_audience}/sweep"
    assert token["service_account_email"] == "${google_service_account.push.email}"


def test_secret_readers_are_workloads_and_every_secret_has_one(tf: Terraform) -> None:
    readers: dict[str, list[str]] = {}
    for grant in tf.local("secret_accessors").values():
        readers.setdefault(grant["secret"], []).append(grant["workload"])
    workloads = set(re.findall(r'"([a-z_]+)"', tf.locals["workloads"]))
    assert set(readers) == set(tf.local("secrets"))
    assert all(names and set(names) <= workloads for names in readers.values())
    assert "on_message" not in readers["data_keys"]  # it never touches the vault


def test_no_primitive_role_is_granted_anywhere(tf: Terraform) -> None:
    roles = set(re.findall(r"roles/[A-Za-z.]+", _code(tf)))
    assert roles and roles & {"roles/owner", "roles/editor", "roles/viewer"} == set()
