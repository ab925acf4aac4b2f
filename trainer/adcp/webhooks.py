"""Outbound webhooks to the buyer's ``push_notification_config`` (reference section 3.7).

When a mutating tool succeeds and its request carried ``push_notification_config.url``, the
buyer is told so in the background, never holding up the tool reply:

* a synchronous success POSTs ``{idempotency_key, task_id: "sync-<uuid>", task_type, status:
  "completed", timestamp, protocol, operation_id?, token?, result}`` (core/mcp-webhook-payload.json);
* a ``submitted`` task reply POSTs nothing yet: the task's terminal state is POSTed when the task
  registry reports it finished, under the task's own ``task_id``.

Only task types of the spec enum (enums/task-type.json) notify, as upstream. Each event gets one
``idempotency_key`` that every retry repeats byte for byte (adcp#2417), and one body serialised
once, so the signed bytes are the sent bytes (adcp#2478). Signing is a switch on the buyer's
registration (core/push-notification-config.json): no ``authentication`` block means RFC 9421
with this process's Ed25519 key (tag ``adcp/webhook-signing/v1``, public key at
``/.well-known/jwks.json``); ``HMAC-SHA256`` means the legacy ``X-ADCP-Signature`` over
``<unix ts>.<body>``; ``Bearer`` means an ``Authorization`` header. 5xx, 429 and transport errors
are retried with capped exponential backoff; any other status is final.

URLs on loopback and private networks are accepted on purpose: trainer is a sandbox and the
storyboard runner's receiver listens on 127.0.0.1. Only http and https are.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import hmac
import random
import re
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import aiohttp
import attrs
import orjson
import structlog
import yarl
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from trainer import __version__
from trainer.adcp.errors import invalid
from trainer.adcp.tasks import TERMINAL, protocol_for
from trainer.clock import Clock, iso
from trainer.supervision.background import BackgroundJobs

log = structlog.get_logger("trainer.webhooks")

# enums/task-type.json (AdCP 3.0): receivers validating the payload reject any other task_type.
TASK_TYPES: Final = frozenset(
    {
        "create_media_buy",
        "update_media_buy",
        "sync_creatives",
        "activate_signal",
        "get_signals",
        "create_property_list",
        "update_property_list",
        "get_property_list",
        "list_property_lists",
        "delete_property_list",
        "sync_accounts",
        "get_account_financials",
        "get_creative_delivery",
        "sync_event_sources",
        "sync_audiences",
        "sync_catalogs",
        "log_event",
        "get_brand_identity",
        "get_rights",
        "acquire_rights",
    }
)
SIGNING_TAG: Final = "adcp/webhook-signing/v1"
COVERED_COMPONENTS: Final = ("@method", "@target-uri", "@authority", "content-type", "content-digest")
SIGNATURE_WINDOW_S: Final = 300  # the AdCP profile's maximum validity window
USER_AGENT: Final = f"trainer/{__version__} (adcp-training-agent)"
MAX_URL_LEN: Final = 2048
MAX_TOKEN_LEN: Final = 255
MAX_CREDENTIALS_LEN: Final = 4096
MAX_WATCHED_TASKS: Final = 10_000
CLOSE_TIMEOUT_S: Final = 5.0
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
_PERCENT: Final = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

Sleep = Callable[[float], Awaitable[None]]
Rand = Callable[[], float]  # uniform in [0, 1), like random.random


class Signing(enum.Enum):
    """How a delivery proves where it comes from, chosen by the buyer's registration."""

    RFC9421 = "rfc9421"
    HMAC_SHA256 = "HMAC-SHA256"
    BEARER = "Bearer"


@attrs.frozen
class PushTarget:
    """Where and how to notify the buyer, parsed from ``push_notification_config``.

    Attributes:
        url: the receiver, as it is sent on the wire.
        token: the buyer's validation token, echoed in every payload.
        signing: RFC 9421 unless the buyer registered a legacy ``authentication`` block.
        credentials: the HMAC secret or bearer token of the legacy schemes; never logged.
    """

    url: yarl.URL
    token: str | None = None
    signing: Signing = Signing.RFC9421
    credentials: str | None = attrs.field(default=None, repr=False)


def push_target(tool: str, args: Mapping[str, Any]) -> PushTarget | None:
    """Return where ``tool`` must notify the buyer, or None when it will not notify.

    Checked before the handler runs so that a buyer whose webhook cannot work learns it from the
    reply instead of never hearing back (the reference SDK's ``extractPushConfig``).

    Raises:
        AdcpError: INVALID_REQUEST naming the ``push_notification_config`` field that is malformed:
            a url that is not absolute http(s) or embeds credentials, a token over 255 characters
            or with control characters, an unknown authentication scheme or missing credentials.
    """
    config = args.get("push_notification_config")
    if tool not in TASK_TYPES or config is None:
        return None
    if not isinstance(config, Mapping):
        raise invalid("push_notification_config", "push_notification_config must be an object")
    url = _receiver_url(config.get("url"))
    token = config.get("token")
    if token is not None and (
        not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LEN or _CONTROL.search(token)
    ):
        raise invalid(
            "push_notification_config.token",
            f"push_notification_config.token must be 1 to {MAX_TOKEN_LEN} characters without control characters",
        )
    auth = config.get("authentication")
    if auth is None:
        return PushTarget(url, token)
    if not isinstance(auth, Mapping):
        raise invalid("push_notification_config.authentication", "authentication must be an object")
    schemes = auth.get("schemes")
    known = {s.value for s in (Signing.HMAC_SHA256, Signing.BEARER)}
    if not isinstance(schemes, list) or len(schemes) != 1 or schemes[0] not in known:
        raise invalid(
            "push_notification_config.authentication.schemes",
            "authentication.schemes must hold exactly one of 'HMAC-SHA256' or 'Bearer'",
        )
    credentials = auth.get("credentials")
    # The bearer token becomes a header value: a control character there would split the header.
    if (
        not isinstance(credentials, str)
        or not 0 < len(credentials) <= MAX_CREDENTIALS_LEN
        or _CONTROL.search(credentials)
    ):
        raise invalid(
            "push_notification_config.authentication.credentials",
            f"authentication.credentials must be 1 to {MAX_CREDENTIALS_LEN} characters without control characters",
        )
    return PushTarget(url, token, Signing(schemes[0]), credentials)


def _receiver_url(raw: object) -> yarl.URL:
    field = "push_notification_config.url"
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_URL_LEN or _CONTROL.search(raw) or not raw.isascii():
        raise invalid(field, f"push_notification_config.url must be an ASCII URL of at most {MAX_URL_LEN} characters")
    try:
        url = yarl.URL(raw)
    except ValueError as exc:
        raise invalid(field, f"push_notification_config.url is malformed: {exc}") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise invalid(field, "push_notification_config.url must be an absolute http:// or https:// URL")
    if url.user is not None or url.password is not None:
        raise invalid(field, "push_notification_config.url must not embed credentials; use authentication")
    # A fragment never reaches the receiver, so a signed @target-uri could not match it.
    return url.with_fragment(None)


@attrs.frozen
class SigningKey:
    """The Ed25519 key that signs RFC 9421 webhooks; its public half is served as a JWK.

    Attributes:
        kid: the key id, ``trainer-<16 hex of SHA-256 of the public key>``.
        private_key: the signing half; it never leaves the process.
    """

    kid: str
    private_key: Ed25519PrivateKey = attrs.field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        """Return a fresh key (one per process, as upstream does without a configured key)."""
        private_key = Ed25519PrivateKey.generate()
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(f"trainer-{hashlib.sha256(public).hexdigest()[:16]}", private_key)

    def public_jwk(self) -> dict[str, Any]:
        """Return the public JWK, scoped to webhook-signing verification as the AdCP verifier requires."""
        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
            "key_ops": ["verify"],
            "adcp_use": "webhook-signing",
        }


def content_digest(body: bytes) -> str:
    """Return the RFC 9530 ``Content-Digest`` value of ``body`` (sha-256)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def _normalise_percent(text: str) -> str:
    # RFC 3986 6.2.2: uppercase hex, and decode escapes of unreserved characters, as the
    # AdCP verifier canonicalises @target-uri.
    def fix(match: re.Match[str]) -> str:
        byte = int(match.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT.sub(fix, text)


def target_uri(url: yarl.URL) -> str:
    """Return the RFC 9421 ``@target-uri`` of ``url`` canonicalised as the AdCP profile does."""
    query = f"?{url.raw_query_string}" if url.raw_query_string else ""
    return _normalise_percent(f"{url.scheme}://{url.host_port_subcomponent}{url.raw_path or '/'}{query}")


def signature_headers(key: SigningKey, url: yarl.URL, body: bytes, *, created: int, nonce: str) -> dict[str, str]:
    """Return the headers of an RFC 9421 webhook signature over a JSON POST of ``body`` to ``url``.

    Covers ``@method``, ``@target-uri``, ``@authority``, ``content-type`` and ``content-digest``
    with the AdCP webhook profile's parameters (``created``, ``expires``, ``nonce``, ``keyid``,
    ``alg="ed25519"``, ``tag``).
    """
    digest = content_digest(body)
    components = " ".join(f'"{name}"' for name in COVERED_COMPONENTS)
    params = (
        f"({components});created={created};expires={created + SIGNATURE_WINDOW_S};"
        f'nonce="{nonce}";keyid="{key.kid}";alg="ed25519";tag="{SIGNING_TAG}"'
    )
    base = "\n".join(
        (
            '"@method": POST',
            f'"@target-uri": {target_uri(url)}',
            f'"@authority": {url.host_port_subcomponent}',
            '"content-type": application/json',
            f'"content-digest": {digest}',
            f'"@signature-params": {params}',
        )
    )
    # Unpadded base64url, as webhook-v1 emits throughout 3.x (the conformance vectors, both SDKs).
    signature = base64.urlsafe_b64encode(key.private_key.sign(base.encode())).rstrip(b"=").decode()
    return {"Content-Digest": digest, "Signature-Input": f"sig1={params}", "Signature": f"sig1=:{signature}:"}


def hmac_headers(secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """Return the legacy HMAC-SHA256 headers: ``X-ADCP-Signature: sha256=<hex>`` over ``<timestamp>.<body>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-ADCP-Timestamp": str(timestamp), "X-ADCP-Signature": f"sha256={mac}"}


@attrs.frozen
class RetryPolicy:
    """How hard one event is pushed (the reference SDK's defaults).

    Attributes:
        max_attempts: deliveries tried before giving up, the first included.
        initial_delay_s: the wait after the first failure; it doubles after each further one.
        max_delay_s: the cap on any one wait.
        jitter: each wait varies by up to this fraction either way.
        attempt_timeout_s: one attempt, connect to response status, may take this long.
    """

    max_attempts: int = 5
    initial_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: float = 0.25
    attempt_timeout_s: float = 10.0

    def delay(self, failures: int, rand: Rand) -> float:
        """Return the wait after the ``failures``-th failed attempt (1-based)."""
        base = min(self.initial_delay_s * 2.0 ** (failures - 1), self.max_delay_s)
        return max(0.0, base * (1.0 + self.jitter * (2.0 * rand() - 1.0)))


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


@attrs.frozen
class _Event:
    target: PushTarget
    task_type: str
    idempotency_key: str
    body: bytes


@attrs.define
class WebhookEmitter:
    """Builds, signs and delivers webhooks in tracked background jobs.

    Inert until ``start()`` (a platform used without the HTTP app, as in unit tests, sends
    nothing); ``close()`` cancels what is still being delivered.

    Attributes:
        clock: stamps payload ``timestamp`` (the AdCP clock; signatures use the wall clock,
            since receivers check them against theirs).
        key: the RFC 9421 signing key.
        policy: retries and timeouts.
        max_in_flight: deliveries running at once; events beyond are dropped and logged.
        sleep, rand: the backoff's waiting and jitter, replaceable in tests.
    """

    clock: Clock
    key: SigningKey = attrs.field(factory=SigningKey.generate)
    policy: RetryPolicy = RetryPolicy()
    max_in_flight: int = 100
    sleep: Sleep = asyncio.sleep
    rand: Rand = random.random
    _session: aiohttp.ClientSession | None = attrs.field(default=None, init=False)
    _jobs: BackgroundJobs | None = attrs.field(default=None, init=False)
    _watched: OrderedDict[str, tuple[str, PushTarget]] = attrs.field(factory=OrderedDict, init=False)

    async def start(self) -> None:
        """Open the HTTP client; from now on events are delivered."""
        self._jobs = BackgroundJobs("webhooks", self.max_in_flight)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.policy.attempt_timeout_s),
            connector=aiohttp.TCPConnector(limit=self.max_in_flight),
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        """Cancel deliveries still running and close the HTTP client."""
        if self._jobs is not None:
            abandoned = await self._jobs.close(CLOSE_TIMEOUT_S)
            if abandoned:
                log.warning("webhook.abandoned", deliveries=abandoned)
        if self._session is not None:
            await self._session.close()
        self._jobs = None
        self._session = None

    async def wait_idle(self) -> None:
        """Wait until every delivery in progress has ended, delivered or given up."""
        if self._jobs is not None:
            await self._jobs.wait_idle()

    def jwks(self) -> dict[str, Any]:
        """Return the JWK set that verifies this process's webhook signatures."""
        return {"keys": [self.key.public_jwk()]}

    def notify(self, tool: str, target: PushTarget, reply: Mapping[str, Any]) -> None:
        """Tell the buyer about a successful reply of ``tool``: now if it completed, later if it submitted a task."""
        task_id = reply.get("task_id")
        if reply.get("status") == "submitted" and isinstance(task_id, str):
            self._watched[task_id] = (tool, target)
            self._watched.move_to_end(task_id)
            while len(self._watched) > MAX_WATCHED_TASKS:
                self._watched.popitem(last=False)
            return
        # A reply that is the operation's error arm ({errors: [...]}, no result) is a failed task.
        errors = reply.get("errors")
        status = "failed" if isinstance(errors, list) and errors else "completed"
        self._emit(tool, target, f"sync-{uuid.uuid4()}", status, result=reply)

    def task_finished(self, view: Mapping[str, Any]) -> None:
        """Notify the buyer who registered a webhook for this task, if any, of its terminal state.

        ``view`` is the task registry's ``tasks_get`` view of the task.
        """
        status = view.get("status")
        if status not in TERMINAL:
            return
        watched = self._watched.pop(str(view.get("task_id")), None)
        if watched is None:
            return
        tool, target = watched
        result, message, error = view.get("result"), view.get("message"), view.get("error")
        if status == "failed" and isinstance(error, Mapping):
            # The failed arm of a task webhook carries the error the way a failed reply would.
            result, message = {"errors": [error]}, error.get("message")
        self._emit(tool, target, str(view["task_id"]), str(status), result=result, message=message)

    def _emit(
        self,
        tool: str,
        target: PushTarget,
        task_id: str,
        status: str,
        *,
        result: Mapping[str, Any] | None,
        message: object = None,
    ) -> None:
        if self._jobs is None:
            log.debug("webhook.dropped", reason="not_running", host=target.url.host, task_type=tool)
            return
        key = f"whk_{uuid.uuid4().hex}"
        payload: dict[str, Any] = {
            "idempotency_key": key,
            "task_id": task_id,
            "task_type": tool,
            "status": status,
            "timestamp": iso(self.clock.now()),
            "protocol": protocol_for(tool),
        }
        # The buyer's own correlation id, when it put one in the URL the way @adcp/client does.
        operation_id = target.url.query.get("operation_id")
        if operation_id:
            payload["operation_id"] = operation_id
        if target.token is not None:
            payload["token"] = target.token
        if isinstance(message, str):
            payload["message"] = message
        if result is not None:
            payload["result"] = result
        # Serialised once, compact: every attempt sends and signs these very bytes.
        event = _Event(target, tool, key, orjson.dumps(payload))
        if not self._jobs.spawn(self._deliver(event)):
            log.warning("webhook.dropped", reason="capacity", host=target.url.host, task_type=tool)

    def _headers(self, event: _Event) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        target = event.target
        match target.signing:
            case Signing.RFC9421:
                nonce = secrets.token_urlsafe(16)  # fresh per attempt: verifiers reject a replayed nonce
                headers |= signature_headers(self.key, target.url, event.body, created=int(time.time()), nonce=nonce)
            case Signing.HMAC_SHA256:
                assert target.credentials is not None
                headers |= hmac_headers(target.credentials, event.body, timestamp=int(time.time()))
            case Signing.BEARER:
                headers["Authorization"] = f"Bearer {target.credentials}"
        return headers

    async def _deliver(self, event: _Event) -> None:
        session = self._session
        assert session is not None
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        attempt = 0
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                # No redirects: the signature names the registered URL, and a redirect could point anywhere.
                async with session.post(
                    event.target.url, data=event.body, headers=self._headers(event), allow_redirects=False
                ) as response:
                    status, error = response.status, f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, error = None, type(exc).__name__
            if status is not None and 200 <= status < 300:
                log.info(
                    "webhook.delivered",
                    host=event.target.url.host,
                    task_type=event.task_type,
                    status=status,
                    attempts=attempt,
                    duration_ms=round((time.monotonic() - started) * 1000),
                )
                return
            if status is not None and not _retryable(status):
                break
            if attempt < self.policy.max_attempts:
                await self.sleep(self.policy.delay(attempt, self.rand))
        log.warning(
            "webhook.failed",
            host=event.target.url.host,
            task_type=event.task_type,
            status=status,
            error=error,
            attempts=attempt,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
