"""Outbound webhooks: payload, RFC 9421 and legacy signing, retries, background delivery, and the hooks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import attrs
import orjson
import pytest
import yarl
from adcp.signing.jwks import StaticJwksResolver
from adcp.signing.webhook_verifier import WebhookVerifyOptions, verify_webhook_signature
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.adcp.conftest import EPOCH, MakeCall
from tests.conftest import CallTool
from tests.fakes import FakeClock, RecordingSleep
from trainer.adcp.pipeline import run_tool
from trainer.adcp.webhooks import (
    PushTarget,
    RetryPolicy,
    Signing,
    SigningKey,
    WebhookEmitter,
    push_target,
    signature_headers,
)
from trainer.clock import FrozenClock, iso
from trainer.platform import Platform
from trainer.tenant import JsonObject, ToolCall, ToolSpec

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{16,255}$")
REPLY = {"media_buy_id": "mb_1", "status": "pending_creatives"}
SECRET = "pinnacle-broadcast-tv-webhook-secret-token"

# AdCP webhook-signing conformance vectors 001, 004, 005 and 006 (compliance/3.0.6/test-vectors/
# webhook-signing; public test key). Ed25519 is deterministic, so the signatures must match exactly.
VECTOR_D = "V0Z2ktvVfcWISjh4xmUlt-bSOJML9QBlzWzDkMFvgJw"
VECTOR_BODY = (
    b'{"idempotency_key":"whk_01HW9D3H8FZP2N6R8T0V4X6Z9B","task_id":"task_456","operation_id":"op_abc",'
    b'"status":"completed","result":{"media_buy_id":"mb_001"}}'
)
VECTORS = [
    (
        "https://buyer.example.com/adcp/webhook/create_media_buy/agent_123/op_abc",
        "nqTKCpjlqf1OqZPuJyPeiF7HJ01G8KmPNSzzmad0PAJv7OUVKthI7ks_j4G-6x1H4mBpXDIISgX_iZQiYvG7Dg",
    ),
    (
        "https://buyer.example.com:443/adcp/webhook/create_media_buy/agent_123/op_abc",
        "nqTKCpjlqf1OqZPuJyPeiF7HJ01G8KmPNSzzmad0PAJv7OUVKthI7ks_j4G-6x1H4mBpXDIISgX_iZQiYvG7Dg",
    ),
    (
        "https://buyer.example.com/adcp/webhook/create_media_buy/agent_123/op_%e2%98%83",
        "xVYEHK2oS2PWxIYU9iyB96ObGdP-xl-4PoNazA12JO-GLXULtEwoEd9b9yM40Y-XcZ3kTX9ZA8KMms4ZTfA2Bg",
    ),
    (
        "https://buyer.example.com/adcp/webhook?b=2&a=1&c=3",
        "a7ON0g72rNf2Y1BmlkoUiqBpKM-GhPSc-crRm9SBSDkKlefoy4NVS0LxElWANQPUyrmtK91Nsomg43rFD_kYAw",
    ),
]


@attrs.frozen
class Delivery:
    """One POST as the receiver saw it."""

    url: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = orjson.loads(self.body)
        return payload


@attrs.define
class Receiver:
    """A webhook receiver on loopback: records every POST, then answers the next scripted status (204 after)."""

    statuses: list[int] = attrs.field(factory=list)
    gate: asyncio.Event = attrs.field(factory=asyncio.Event)
    deliveries: list[Delivery] = attrs.field(factory=list)
    _arrived: asyncio.Queue[Delivery] = attrs.field(factory=asyncio.Queue)
    base: str = ""

    def __attrs_post_init__(self) -> None:
        self.gate.set()

    async def handle(self, request: web.Request) -> web.Response:
        delivery = Delivery(str(request.url), dict(request.headers), await request.read())
        self.deliveries.append(delivery)
        self._arrived.put_nowait(delivery)
        await self.gate.wait()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)

    def url(self, path: str = "/step/trigger/op_1") -> str:
        return f"{self.base}{path}"

    async def next(self) -> Delivery:
        async with asyncio.timeout(5):
            return await self._arrived.get()


@pytest.fixture
async def receiver(aiohttp_server: Callable[[web.Application], Awaitable[TestServer]]) -> Receiver:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", receiver.handle)
    server = await aiohttp_server(app)
    receiver.base = str(server.make_url("")).rstrip("/")
    return receiver


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep(FakeClock())


@pytest.fixture
async def emitter(clock: FrozenClock, sleep: RecordingSleep) -> AsyncIterator[WebhookEmitter]:
    """A started emitter whose backoff is recorded, not waited, and has no jitter."""
    emitter = WebhookEmitter(clock, policy=RetryPolicy(jitter=0.0), sleep=sleep)
    await emitter.start()
    yield emitter
    await emitter.close()


@pytest.fixture
async def webhooks(platform: Platform, sleep: RecordingSleep) -> AsyncIterator[WebhookEmitter]:
    """The platform's own emitter, started as the app starts it."""
    platform.webhooks.sleep = sleep
    await platform.webhooks.start()
    yield platform.webhooks
    await platform.webhooks.close()


def verify_9421(delivery: Delivery, jwks: dict[str, Any]) -> str:
    """Verify a delivery with the AdCP Python SDK's webhook verifier and return the key id."""
    verified = verify_webhook_signature(
        method="POST",
        url=delivery.url,
        headers=delivery.headers,
        body=delivery.body,
        options=WebhookVerifyOptions(jwks_resolver=StaticJwksResolver(jwks)),
    )
    return verified.key_id


class Counter:
    """A mutating handler that counts its runs."""

    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self, call: ToolCall) -> JsonObject:
        self.runs += 1
        return {**REPLY, "media_buy_id": f"mb_{self.runs}"}


def mutating(handler: Any, name: str = "create_media_buy") -> ToolSpec:
    return ToolSpec(name, "test", {"type": "object"}, handler, mutating=True)


def request(url: str, **config: Any) -> dict[str, Any]:
    return {"idempotency_key": "webhook-test-key-000001", "push_notification_config": {"url": url, **config}}


@pytest.mark.parametrize(("url", "expected"), VECTORS)
def test_signature_matches_the_adcp_conformance_vectors(url: str, expected: str) -> None:
    """Signing a vector's request with its key, time and nonce gives the vector's signature, byte for byte."""
    private_key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(VECTOR_D + "="))
    key = SigningKey("test-ed25519-webhook-2026", private_key)
    headers = signature_headers(key, yarl.URL(url), VECTOR_BODY, created=1776520800, nonce="KXYnfEfJ0PBRZXQyVXfVQA")
    assert headers["Signature"] == f"sig1=:{expected}:"
    assert headers["Content-Digest"] == "sha-256=:dJ2koiIMZIhdGE7tidErCHV13FFvOIowCcXDiwyG54I=:"


async def test_success_posts_a_signed_completion_payload(
    make_call: MakeCall, webhooks: WebhookEmitter, receiver: Receiver
) -> None:
    """A fresh success POSTs the spec envelope around the reply, signed so the SDK verifier accepts it."""
    url = receiver.url("/step/trigger/op_1?operation_id=op_42")
    outcome = await run_tool(
        mutating(Counter()), make_call("create_media_buy", request(url, token="buyer-token-0123456789"))
    )
    delivery = await receiver.next()
    payload = delivery.json()
    assert KEY_PATTERN.fullmatch(payload.pop("idempotency_key"))
    assert payload.pop("task_id").startswith("sync-")
    assert payload == {
        "task_type": "create_media_buy",
        "status": "completed",
        "timestamp": iso(EPOCH),
        "protocol": "media-buy",
        "operation_id": "op_42",
        "token": "buyer-token-0123456789",
        "result": {**REPLY, "media_buy_id": "mb_1"},
    }
    assert outcome.payload["media_buy_id"] == "mb_1"
    assert delivery.headers["Content-Type"] == "application/json"
    assert "adcp/webhook-signing/v1" in delivery.headers["Signature-Input"]
    assert verify_9421(delivery, webhooks.jwks()) == webhooks.key.kid


async def test_retries_repeat_the_idempotency_key_under_fresh_signatures(
    emitter: WebhookEmitter, receiver: Receiver, sleep: RecordingSleep, logs: list[MutableMapping[str, Any]]
) -> None:
    """503 three times then 204: four deliveries of identical bytes, each with its own valid signature."""
    receiver.statuses = [503, 503, 503]
    emitter.notify("create_media_buy", PushTarget(yarl.URL(receiver.url())), REPLY)
    await emitter.wait_idle()
    bodies = {delivery.body for delivery in receiver.deliveries}
    nonces = {re.search(r'nonce="([^"]+)"', d.headers["Signature-Input"]) for d in receiver.deliveries}
    assert len(receiver.deliveries) == 4
    assert len(bodies) == 1
    assert len(nonces) == 4
    for delivery in receiver.deliveries:
        verify_9421(delivery, emitter.jwks())
    assert sleep.calls == [1.0, 2.0, 4.0]
    delivered = [entry for entry in logs if entry["event"] == "webhook.delivered"]
    assert delivered == [
        {
            "event": "webhook.delivered",
            "log_level": "info",
            "host": "127.0.0.1",
            "task_type": "create_media_buy",
            "status": 204,
            "attempts": 4,
            "duration_ms": delivered[0]["duration_ms"],
        }
    ]


async def test_a_client_error_is_final(
    emitter: WebhookEmitter, receiver: Receiver, sleep: RecordingSleep, logs: list[MutableMapping[str, Any]]
) -> None:
    """A 404 is not retried and is logged as failed with its status."""
    receiver.statuses = [404]
    emitter.notify("create_media_buy", PushTarget(yarl.URL(receiver.url())), REPLY)
    await emitter.wait_idle()
    assert len(receiver.deliveries) == 1
    assert sleep.calls == []
    failed = [entry for entry in logs if entry["event"] == "webhook.failed"]
    assert [(f["status"], f["error"], f["attempts"]) for f in failed] == [(404, "HTTP 404", 1)]


async def test_server_errors_are_retried_up_to_the_attempt_limit(emitter: WebhookEmitter, receiver: Receiver) -> None:
    """A receiver that always answers 500 gets max_attempts deliveries, then the event is given up."""
    receiver.statuses = [500] * 10
    emitter.notify("create_media_buy", PushTarget(yarl.URL(receiver.url())), REPLY)
    await emitter.wait_idle()
    assert len(receiver.deliveries) == emitter.policy.max_attempts


async def test_an_unreachable_receiver_is_retried_then_given_up(
    emitter: WebhookEmitter, sleep: RecordingSleep, logs: list[MutableMapping[str, Any]]
) -> None:
    """Connection errors count as failed attempts: retried with backoff, then logged without the URL."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emitter.notify("sync_creatives", PushTarget(yarl.URL(f"http://127.0.0.1:{port}/hook?secret=s3cr3t")), REPLY)
    await emitter.wait_idle()
    assert sleep.calls == [1.0, 2.0, 4.0, 8.0]
    (failed,) = [entry for entry in logs if entry["event"] == "webhook.failed"]
    assert failed["attempts"] == 5
    assert failed["status"] is None
    assert failed["error"] == "ClientConnectorError"
    assert "s3cr3t" not in repr(logs)


async def test_hmac_registration_signs_with_the_shared_secret_instead(
    emitter: WebhookEmitter, receiver: Receiver, logs: list[MutableMapping[str, Any]]
) -> None:
    """HMAC-SHA256 in push_notification_config.authentication selects the legacy signature, never both."""
    config = {"authentication": {"schemes": ["HMAC-SHA256"], "credentials": SECRET}}
    target = push_target("create_media_buy", request(receiver.url(), **config))
    assert target is not None
    emitter.notify("create_media_buy", target, REPLY)
    delivery = await receiver.next()
    timestamp = delivery.headers["X-ADCP-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-ADCP-Signature"] == f"sha256={expected}"
    assert "Signature-Input" not in delivery.headers
    await emitter.wait_idle()
    assert SECRET not in repr(logs)
    assert SECRET not in repr(target)


async def test_bearer_registration_sends_the_token(emitter: WebhookEmitter, receiver: Receiver) -> None:
    """Bearer in push_notification_config.authentication becomes the Authorization header, unsigned."""
    config = {"authentication": {"schemes": ["Bearer"], "credentials": "buyer-bearer-token-0123456789abcdef"}}
    target = push_target("create_media_buy", request(receiver.url(), **config))
    assert target is not None
    assert target.signing is Signing.BEARER
    emitter.notify("create_media_buy", target, REPLY)
    delivery = await receiver.next()
    assert delivery.headers["Authorization"] == "Bearer buyer-bearer-token-0123456789abcdef"
    assert "Signature" not in delivery.headers


async def test_the_reply_does_not_wait_for_the_receiver(
    make_call: MakeCall, webhooks: WebhookEmitter, receiver: Receiver
) -> None:
    """The tool answers while its webhook is still unanswered; the delivery finishes afterwards."""
    receiver.gate.clear()
    async with asyncio.timeout(1):
        outcome = await run_tool(mutating(Counter()), make_call("create_media_buy", request(receiver.url())))
    assert outcome.is_error is False
    await receiver.next()  # arrived, and held open by the receiver
    receiver.gate.set()
    await webhooks.wait_idle()
    assert len(receiver.deliveries) == 1


async def test_a_replay_or_an_error_sends_nothing(
    make_call: MakeCall, webhooks: WebhookEmitter, receiver: Receiver
) -> None:
    """Only the first execution notifies: the cached replay and a failing call send no webhook."""
    handler = Counter()
    args = request(receiver.url())
    await run_tool(mutating(handler), make_call("create_media_buy", args))
    replay = await run_tool(mutating(handler), make_call("create_media_buy", args))
    conflict = await run_tool(mutating(handler), make_call("create_media_buy", {**args, "budget": 9}))
    await webhooks.wait_idle()
    assert replay.payload["replayed"] is True
    assert conflict.payload["adcp_error"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert len(receiver.deliveries) == 1


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"url": "ftp://buyer.example/hook"}, "push_notification_config.url"),
        ({"url": "/relative/hook"}, "push_notification_config.url"),
        ({"url": "http://user:pw@buyer.example/hook"}, "push_notification_config.url"),
        ({"url": "http://buyer.example/\r\nX-Injected: 1"}, "push_notification_config.url"),
        ({"url": 5}, "push_notification_config.url"),
        ({"url": "https://buyer.example/hook", "token": "t" * 256}, "push_notification_config.token"),
        (
            {"url": "https://buyer.example/hook", "authentication": {"schemes": ["Basic"], "credentials": SECRET}},
            "push_notification_config.authentication.schemes",
        ),
        (
            {"url": "https://buyer.example/hook", "authentication": {"schemes": ["Bearer"], "credentials": "a\nb"}},
            "push_notification_config.authentication.credentials",
        ),
    ],
)
async def test_a_webhook_that_cannot_work_is_refused_before_the_handler(
    make_call: MakeCall, config: dict[str, Any], field: str
) -> None:
    """A malformed push_notification_config is INVALID_REQUEST naming the field, and nothing is executed."""
    handler = Counter()
    args = {"idempotency_key": "webhook-test-key-000001", "push_notification_config": config}
    outcome = await run_tool(mutating(handler), make_call("create_media_buy", args))
    assert outcome.payload["adcp_error"]["code"] == "INVALID_REQUEST"
    assert outcome.payload["adcp_error"]["field"] == field
    assert handler.runs == 0


def test_only_spec_task_types_notify() -> None:
    """Tools outside enums/task-type.json take no webhook, as receivers would reject their task_type."""
    assert push_target("sync_plans", request("https://buyer.example/hook")) is None
    assert push_target("create_media_buy", {"idempotency_key": "k"}) is None
    assert push_target("create_media_buy", request("http://10.0.0.7:8080/hook")) is not None  # a sandbox


async def test_a_submitted_task_notifies_when_it_finishes(
    make_call: MakeCall, platform: Platform, webhooks: WebhookEmitter, receiver: Receiver
) -> None:
    """A submitted reply sends nothing; completing the task POSTs its result under the task's own id."""

    async def submits(call: ToolCall) -> JsonObject:
        return platform.tasks.submit("create_media_buy", "owner", "IO review", "task_io_1", has_webhook=True)

    await run_tool(mutating(submits), make_call("create_media_buy", request(receiver.url())))
    await webhooks.wait_idle()
    assert receiver.deliveries == []
    platform.tasks.complete("task_io_1", {"media_buy_id": "mb_io"})
    payload = (await receiver.next()).json()
    assert (payload["task_id"], payload["status"], payload["result"]) == (
        "task_io_1",
        "completed",
        {"media_buy_id": "mb_io"},
    )


async def test_a_failed_task_notifies_its_error(
    make_call: MakeCall, platform: Platform, webhooks: WebhookEmitter, receiver: Receiver
) -> None:
    """A failed task's webhook carries the error in result.errors and its message."""

    async def submits(call: ToolCall) -> JsonObject:
        return platform.tasks.submit("create_media_buy", "owner", None, "task_io_2", has_webhook=True)

    await run_tool(mutating(submits), make_call("create_media_buy", request(receiver.url())))
    platform.tasks.fail("task_io_2", {"code": "IO_REJECTED", "message": "The IO was not signed"})
    payload = (await receiver.next()).json()
    assert payload["status"] == "failed"
    assert payload["message"] == "The IO was not signed"
    assert payload["result"] == {"errors": [{"code": "IO_REJECTED", "message": "The IO was not signed"}]}


async def test_events_beyond_the_in_flight_cap_are_dropped(
    clock: FrozenClock, receiver: Receiver, logs: list[MutableMapping[str, Any]]
) -> None:
    """With the cap reached, a further event is dropped and logged rather than queued without bound."""
    emitter = WebhookEmitter(clock, max_in_flight=1)
    await emitter.start()
    receiver.gate.clear()
    target = PushTarget(yarl.URL(receiver.url()))
    emitter.notify("create_media_buy", target, REPLY)
    emitter.notify("create_media_buy", target, REPLY)
    await receiver.next()
    receiver.gate.set()
    await emitter.wait_idle()
    await emitter.close()
    assert len(receiver.deliveries) == 1
    assert [e["reason"] for e in logs if e["event"] == "webhook.dropped"] == ["capacity"]


async def test_close_cancels_deliveries_still_retrying(
    clock: FrozenClock, receiver: Receiver, logs: list[MutableMapping[str, Any]]
) -> None:
    """Shutdown does not wait out a minute of backoff: the retrying delivery is cancelled and counted."""
    emitter = WebhookEmitter(clock, policy=RetryPolicy(initial_delay_s=60.0))
    await emitter.start()
    receiver.statuses = [503]
    emitter.notify("create_media_buy", PushTarget(yarl.URL(receiver.url())), REPLY)
    await receiver.next()
    async with asyncio.timeout(1):
        await emitter.close()
    assert [e["deliveries"] for e in logs if e["event"] == "webhook.abandoned"] == [1]


async def test_an_emitter_that_was_never_started_sends_nothing(make_call: MakeCall, receiver: Receiver) -> None:
    """Without the app (unit tests, tools run directly) a webhook is skipped, not an error."""
    outcome = await run_tool(mutating(Counter()), make_call("create_media_buy", request(receiver.url())))
    assert outcome.is_error is False
    assert receiver.deliveries == []


async def test_the_app_serves_the_jwks_and_sends_sales_webhooks(
    client: TestClient[Any, Any], call_tool: CallTool, receiver: Receiver
) -> None:
    """Through HTTP: /.well-known/jwks.json publishes the key, and a /sales buy notifies the buyer's URL."""
    response = await client.get("/.well-known/jwks.json")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    jwks = await response.json()
    (jwk,) = jwks["keys"]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["adcp_use"], jwk["key_ops"]) == (
        "OKP",
        "Ed25519",
        "EdDSA",
        "webhook-signing",
        ["verify"],
    )
    args = {
        "account": {"brand": {"domain": "hooks.example"}, "operator": "hooks.example"},
        "start_time": "2026-07-01T00:00:00Z",
        "end_time": "2026-07-31T00:00:00Z",
        "packages": [
            {
                "product_id": "pinnacle_news_display",
                "pricing_option_id": "pinnacle_news_display_pricing_0",
                "budget": 5000,
                "bid_price": 5,
            }
        ],
        **request(receiver.url()),
    }
    result = await call_tool("sales", "create_media_buy", args)
    assert not result.get("isError"), result
    delivery = await receiver.next()
    assert delivery.json()["result"]["media_buy_id"] == result["structuredContent"]["media_buy_id"]
    assert verify_9421(delivery, jwks) == jwk["kid"]
