"""The emulator harness itself: Google's own Firestore and Pub/Sub answer on loopback."""

from __future__ import annotations

from google.api_core.client_options import ClientOptions
from google.cloud import firestore, pubsub_v1

from signal_copier.stack.emulators import Emulators


async def test_firestore_emulator_stores_and_returns_a_document(
    firestore_emulator: Emulators,
) -> None:
    client = firestore.AsyncClient(project=firestore_emulator.project)
    await client.document("probe/one").set({"n": 1})
    snapshot = await client.document("probe/one").get()
    assert snapshot.to_dict() == {"n": 1}


async def test_wiping_firestore_removes_every_document(firestore_emulator: Emulators) -> None:
    client = firestore.AsyncClient(project=firestore_emulator.project)
    await client.document("probe/two").set({"n": 2})
    firestore_emulator.wipe_firestore()
    assert not (await client.document("probe/two").get()).exists


def test_pubsub_emulator_delivers_a_published_message_with_attributes(
    emulators: Emulators,
) -> None:
    options = ClientOptions(api_endpoint=emulators.pubsub)
    publisher = pubsub_v1.PublisherClient(client_options=options)
    subscriber = pubsub_v1.SubscriberClient(client_options=options)
    topic = publisher.topic_path(emulators.project, "probe-topic")
    subscription = subscriber.subscription_path(emulators.project, "probe-sub")
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)
    publisher.publish(topic, b"hello", trace="t1").result(timeout=10)
    response = subscriber.pull(subscription=subscription, max_messages=1, timeout=10)
    (received,) = response.received_messages
    assert received.message.data == b"hello"
    assert dict(received.message.attributes) == {"trace": "t1"}
    subscriber.acknowledge(subscription=subscription, ack_ids=[received.ack_id])
    publisher.delete_topic(topic=topic)
    subscriber.delete_subscription(subscription=subscription)
