"""Configuration: ``conf/trainer.toml``, then ``TRAINER_*`` and ``$PORT`` from the environment, then CLI flags.

Every problem is a ``ConfigError`` whose message names the file, the key and what is wrong, so a
bad deploy stops at once with one readable line instead of starting half-configured.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import attrs

from trainer.clock import parse_instant
from trainer.tenant import TenantFactory, TenantId

DEFAULT_CONFIG: Final = Path(__file__).resolve().parent.parent / "conf" / "trainer.toml"
_TENANT_ID = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_DEMO_TOKEN_DEFAULT: Final = r"^demo-[a-z0-9]+(?:-[a-z0-9]+)*-v\d+$"


class ConfigError(Exception):
    """A configuration problem; the message is ``<file>: <key>: <problem>``."""


@attrs.frozen
class RestartPolicy:
    """How a crashed tenant comes back.

    Attributes:
        initial_delay_s: the delay before the first restart.
        factor: each further restart waits this many times longer.
        max_delay_s: the cap on any one delay.
        jitter: the fraction of the delay drawn at random, ``0`` for none.
        intensity: at most this many restarts within ``period_s``; one more leaves the tenant failed.
        period_s: the sliding window that ``intensity`` counts in.
    """

    initial_delay_s: float = 0.1
    factor: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.2
    intensity: int = 5
    period_s: float = 60.0


@attrs.frozen
class AuthConfig:
    """Who may call the tenants.

    Attributes:
        mode: ``open`` (anyone, principal ``anonymous``) or ``bearer`` (a known token is required).
        tokens: static bearer tokens by principal suffix (``public`` -> principal ``static:public``).
        demo_pattern: tokens matching it authenticate as ``static:demo:<token>``; empty disables it.
    """

    mode: str = "open"
    tokens: Mapping[str, str] = attrs.field(factory=dict)
    demo_pattern: str = _DEMO_TOKEN_DEFAULT


@attrs.frozen
class TenantConfig:
    """One row of the tenant table.

    Attributes:
        id: the URL segment, the ``tenant`` log field and the config key.
        factory: the import path ``module:callable`` of an async ``TenantContext -> Tenant``.
        required: whether the port waits for this tenant to be ready.
        enabled: whether to run it at all.
        options: the tenant's own settings, handed to its factory.
    """

    id: TenantId
    factory: str
    required: bool = True
    enabled: bool = True
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def load_factory(self, source: str) -> TenantFactory:
        """Import the factory.

        Raises:
            ConfigError: when the module or the callable cannot be imported.
        """
        module_name, _, attr = self.factory.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{source}: tenants.{self.id}.factory: cannot import {self.factory!r}: {exc}") from exc
        if not callable(target):
            raise ConfigError(f"{source}: tenants.{self.id}.factory: {self.factory!r} is not callable")
        factory: TenantFactory = target
        return factory


@attrs.frozen
class Config:
    """The whole configuration; frozen once loaded.

    Attributes:
        source: the file it was read from, for messages.
        host, port: where to listen.
        boot_deadline_s: how long startup waits for required tenants before failing the boot.
        shutdown_timeout_s: how long a drain waits for in-flight requests.
        max_body_bytes: the largest request body accepted (413 beyond).
        allowed_origins: ``Origin`` values accepted on MCP routes; ``*`` matches any port or host part.
        log_format: ``auto`` (JSON off a TTY), ``json`` or ``console``.
        frozen_time: pins the AdCP clock to an instant; ``None`` for the system clock.
        restart: the restart policy of every tenant.
        auth: bearer settings.
        tenants: the enabled tenants in config order.
    """

    source: str = "<defaults>"
    host: str = "0.0.0.0"
    port: int = 8080
    boot_deadline_s: float = 10.0
    shutdown_timeout_s: float = 10.0
    max_body_bytes: int = 1024 * 1024
    allowed_origins: tuple[str, ...] = ("http://localhost:*", "http://127.0.0.1:*", "https://localhost:*")
    log_format: str = "auto"
    frozen_time: datetime | None = None
    restart: RestartPolicy = RestartPolicy()
    auth: AuthConfig = AuthConfig()
    tenants: tuple[TenantConfig, ...] = ()

    def tenant(self, tenant_id: str) -> TenantConfig | None:
        return next((t for t in self.tenants if t.id == tenant_id), None)


class _Reader:
    """Typed access to one TOML document that reports errors as ``file: key: problem``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key}: {problem}")

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a table, got {value!r}")
        return value

    def number(self, data: Mapping[str, Any], key: str, default: float, *, minimum: float = 0.0) -> float:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value!r}")
        return float(value)

    def integer(
        self, data: Mapping[str, Any], key: str, default: int, *, minimum: int = 0, maximum: int | None = None
    ) -> int:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.fail(key, f"must be {bound}, got {value!r}")
        return value

    def string(self, data: Mapping[str, Any], key: str, default: str, *, choices: Sequence[str] = ()) -> str:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def boolean(self, data: Mapping[str, Any], key: str, default: bool) -> bool:
        value = data.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def strings(self, data: Mapping[str, Any], key: str, default: Sequence[str]) -> tuple[str, ...]:
        value = data.get(key.rsplit(".", 1)[-1], list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"expected a list of strings, got {value!r}")
        return tuple(value)


# Environment overrides: variable -> (dotted key, kind), applied in this order, so TRAINER_PORT
# beats PORT (what Procfile hosts set).
_ENV: Final[Mapping[str, tuple[str, str]]] = {
    "PORT": ("server.port", "int"),
    "TRAINER_PORT": ("server.port", "int"),
    "TRAINER_HOST": ("server.host", "str"),
    "TRAINER_BOOT_DEADLINE_S": ("server.boot_deadline_s", "float"),
    "TRAINER_SHUTDOWN_TIMEOUT_S": ("server.shutdown_timeout_s", "float"),
    "TRAINER_MAX_BODY_BYTES": ("server.max_body_bytes", "int"),
    "TRAINER_ALLOWED_ORIGINS": ("server.allowed_origins", "list"),
    "TRAINER_LOG_FORMAT": ("server.log_format", "str"),
    "TRAINER_FROZEN_TIME": ("clock.frozen_time", "str"),
    "TRAINER_AUTH_MODE": ("auth.mode", "str"),
    "TRAINER_AUTH_TOKEN": ("auth.tokens.public", "str"),
}


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    """Overlay environment variables on the parsed TOML; a malformed value names the variable."""
    for var, (key, kind) in _ENV.items():
        raw = env.get(var)
        if raw is None:
            continue
        value: Any
        try:
            match kind:
                case "int":
                    value = int(raw)
                case "float":
                    value = float(raw)
                case "list":
                    value = [part.strip() for part in raw.split(",") if part.strip()]
                case _:
                    value = raw
        except ValueError:
            raise ConfigError(f"environment: {var}: expected {kind}, got {raw!r}") from None
        *parents, leaf = key.split(".")
        node = data
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    host: str | None = None,
) -> Config:
    """Read the config file, overlay the environment and the CLI flags, and validate everything.

    Raises:
        ConfigError: naming the file, the key and the problem, for any unreadable or invalid value.
    """
    path = path or DEFAULT_CONFIG
    source = str(path)
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    _apply_env(data, env or {})
    if port is not None:
        data.setdefault("server", {})["port"] = port
    if host is not None:
        data.setdefault("server", {})["host"] = host
    return parse_config(data, source)


def parse_config(data: Mapping[str, Any], source: str) -> Config:
    """Validate a parsed TOML document into a ``Config``.

    Raises:
        ConfigError: for the first invalid key, named with its dotted path.
    """
    r = _Reader(source)
    known = {"server", "clock", "restart", "auth", "tenants"}
    for key in data:
        if key not in known:
            raise r.fail(key, f"unknown section; expected one of {', '.join(sorted(known))}")
    server = r.table(data, "server")
    defaults = Config()
    frozen_raw = r.string(r.table(data, "clock"), "clock.frozen_time", "")
    try:
        frozen = parse_instant(frozen_raw) if frozen_raw else None
    except ValueError:
        raise r.fail("clock.frozen_time", f"expected an ISO 8601 instant, got {frozen_raw!r}") from None
    restart = r.table(data, "restart")
    policy = RestartPolicy(
        initial_delay_s=r.number(restart, "restart.initial_delay_s", 0.1),
        factor=r.number(restart, "restart.factor", 2.0, minimum=1.0),
        max_delay_s=r.number(restart, "restart.max_delay_s", 30.0),
        jitter=r.number(restart, "restart.jitter", 0.2),
        intensity=r.integer(restart, "restart.intensity", 5),
        period_s=r.number(restart, "restart.period_s", 60.0),
    )
    if policy.jitter > 1:
        raise r.fail("restart.jitter", f"must be between 0 and 1, got {policy.jitter!r}")
    return Config(
        source=source,
        host=r.string(server, "server.host", defaults.host),
        port=r.integer(server, "server.port", defaults.port, maximum=65535),
        boot_deadline_s=r.number(server, "server.boot_deadline_s", defaults.boot_deadline_s),
        shutdown_timeout_s=r.number(server, "server.shutdown_timeout_s", defaults.shutdown_timeout_s),
        max_body_bytes=r.integer(server, "server.max_body_bytes", defaults.max_body_bytes, minimum=1024),
        allowed_origins=r.strings(server, "server.allowed_origins", defaults.allowed_origins),
        log_format=r.string(server, "server.log_format", "auto", choices=("auto", "json", "console")),
        frozen_time=frozen,
        restart=policy,
        auth=_parse_auth(r, r.table(data, "auth")),
        tenants=_parse_tenants(r, r.table(data, "tenants")),
    )


def _parse_auth(r: _Reader, auth: Mapping[str, Any]) -> AuthConfig:
    mode = r.string(auth, "auth.mode", "open", choices=("open", "bearer"))
    tokens = r.table(auth, "auth.tokens")
    for name, token in tokens.items():
        if not isinstance(token, str) or len(token) < 8:
            raise r.fail(f"auth.tokens.{name}", "expected a token string of at least 8 characters")
    pattern = r.string(auth, "auth.demo_pattern", _DEMO_TOKEN_DEFAULT)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise r.fail("auth.demo_pattern", f"not a regular expression: {exc}") from None
    if mode == "bearer" and not tokens and not pattern:
        raise r.fail("auth.mode", "bearer mode needs auth.tokens or auth.demo_pattern")
    return AuthConfig(mode=mode, tokens=dict(tokens), demo_pattern=pattern)


def _parse_tenants(r: _Reader, table: Mapping[str, Any]) -> tuple[TenantConfig, ...]:
    tenants = []
    for tenant_id, row in table.items():
        key = f"tenants.{tenant_id}"
        if not _TENANT_ID.match(tenant_id):
            raise r.fail(key, "a tenant id must be lowercase letters, digits and dashes, starting with a letter")
        if not isinstance(row, Mapping):
            raise r.fail(key, f"expected a table, got {row!r}")
        for field in row:
            if field not in {"factory", "required", "enabled", "options"}:
                raise r.fail(f"{key}.{field}", "unknown key; expected factory, required, enabled or options")
        factory = r.string(row, f"{key}.factory", "")
        if not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", factory):
            raise r.fail(f"{key}.factory", f"expected 'module:callable', got {factory!r}")
        tenant = TenantConfig(
            id=TenantId(tenant_id),
            factory=factory,
            required=r.boolean(row, f"{key}.required", True),
            enabled=r.boolean(row, f"{key}.enabled", True),
            options=dict(r.table(row, f"{key}.options")),
        )
        if tenant.enabled:
            tenants.append(tenant)
    if not tenants:
        raise r.fail("tenants", "no enabled tenant; a trainer with nothing to serve is a config mistake")
    return tuple(tenants)
