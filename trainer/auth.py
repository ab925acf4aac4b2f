"""Bearer authentication: static tokens from config and the demo test-kit pattern ``demo-<kit>-v<n>``."""

from __future__ import annotations

import hmac
import re

import attrs
from aiohttp import web

from trainer.config import AuthConfig
from trainer.errors import Unauthorized

ANONYMOUS = "anonymous"


@attrs.frozen
class Authenticator:
    """Maps a request's bearer to a principal.

    In ``bearer`` mode a valid token is required. In ``open`` mode a request without one is
    ``anonymous``, but a token that is sent must still be valid: a wrong token is a client bug
    worth reporting, and conformance probes rely on the 401.
    """

    config: AuthConfig
    _demo: re.Pattern[str] | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_demo", re.compile(self.config.demo_pattern) if self.config.demo_pattern else None)

    def principal(self, request: web.Request) -> str:
        """Return who is calling.

        Raises:
            Unauthorized: for a missing bearer in bearer mode, or any invalid bearer.
        """
        header = request.headers.get("Authorization")
        if header is None:
            if self.config.mode == "open":
                return ANONYMOUS
            raise Unauthorized("invalid_request", "Missing bearer token. Send Authorization: Bearer <token>.")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("invalid_request", "Authorization must be 'Bearer <token>'.")
        for name, known in self.config.tokens.items():
            if hmac.compare_digest(token.encode(), known.encode()):
                return f"static:{name}"
        if self._demo is not None and self._demo.fullmatch(token):
            return f"static:demo:{token}"
        raise Unauthorized("invalid_token", "Invalid bearer token. Use a configured token or a demo-<kit>-v<n> token.")
