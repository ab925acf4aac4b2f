"""activate_signal: activation state per session and destination (reference section 2.4).

Activations live in the session collection ``signal_activations`` (``ACTIVATIONS``), keyed
``"<signal_agent_segment_id>:<destination id>"`` where the destination id is the agent URL of an
agent destination or the platform of a platform destination. get_signals reads it back to
report which signals are live on this agent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from trainer.adcp.errors import AdcpError, invalid
from trainer.adcp.sessions import Session
from trainer.clock import iso
from trainer.domain.governance.gate import enforce_budget_gate
from trainer.domain.signals.catalogue import Catalogue, Signal

ACTIVATIONS: Final = "signal_activations"
ACTIONS: Final = frozenset({"activate", "deactivate"})
# The key a sales agent reads when a signal is activated on it (reference Appendix: key_value).
AGENT_KEY: Final = "audience_segment"


@attrs.frozen
class Destination:
    """Where a signal is activated.

    Attributes:
        type: ``platform`` (a DSP) or ``agent`` (a sales agent, by URL).
        target: the platform id or the agent URL.
        account: the buyer's account on that destination, if given.
    """

    type: str
    target: str
    account: str | None = None

    def wire(self) -> dict[str, Any]:
        """Return the destination members a deployment repeats."""
        out: dict[str, Any] = {"type": self.type}
        out["agent_url" if self.type == "agent" else "platform"] = self.target
        if self.account is not None:
            out["account"] = self.account
        return out


@attrs.frozen
class ActivationRequest:
    """A parsed activate_signal request."""

    segment_id: str
    destinations: tuple[Destination, ...]
    action: str
    pricing_option_id: str | None
    governance_context: str | None


def _destination(raw: object, field: str) -> Destination:
    if not isinstance(raw, Mapping):
        raise invalid(field, f"{field} must be an object with a type of platform or agent")
    kind = raw.get("type")
    account = raw.get("account", raw.get("account_id"))
    if account is not None and not isinstance(account, str):
        raise invalid(f"{field}.account", f"{field}.account must be a string")
    if kind is None:
        # The SDK's test tool sends {platform} or {agent_url} without a type.
        kind = "agent" if "agent_url" in raw else "platform"
    if kind == "agent":
        url = raw.get("agent_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid(f"{field}.agent_url", f"{field}.agent_url must be an http(s) URL")
        return Destination("agent", url, account)
    if kind == "platform":
        platform = raw.get("platform")
        if not isinstance(platform, str) or not platform:
            raise invalid(f"{field}.platform", f"{field}.platform must be a non-empty string")
        return Destination("platform", platform, account)
    raise invalid(f"{field}.type", f"{field}.type must be platform or agent")


def parse_activation(args: Mapping[str, Any]) -> ActivationRequest:
    """Parse an activate_signal request, accepting the reference's aliases.

    ``signal_id`` stands in for ``signal_agent_segment_id`` and a singular ``destination`` for
    ``destinations``, as the SDK's test tool sends them.

    Raises:
        AdcpError: INVALID_REQUEST naming the field that is missing or malformed.
    """
    segment_id = args.get("signal_agent_segment_id", args.get("signal_id"))
    if not isinstance(segment_id, str) or not segment_id:
        raise invalid("signal_agent_segment_id", "signal_agent_segment_id is required")
    raw_destinations = args.get("destinations")
    if raw_destinations is None and args.get("destination") is not None:
        raw_destinations = [args["destination"]]
    if not isinstance(raw_destinations, list) or not raw_destinations:
        raise invalid("destinations", "destinations must be a non-empty array")
    destinations = tuple(_destination(raw, f"destinations[{i}]") for i, raw in enumerate(raw_destinations))
    action = args.get("action", "activate")
    if action not in ACTIONS:
        raise invalid("action", "action must be activate or deactivate")
    pricing_option_id = args.get("pricing_option_id")
    if pricing_option_id is not None and not isinstance(pricing_option_id, str):
        raise invalid("pricing_option_id", "pricing_option_id must be a string")
    governance_context = args.get("governance_context")
    if governance_context is not None and not isinstance(governance_context, str):
        raise invalid("governance_context", "governance_context must be a string")
    return ActivationRequest(
        segment_id=segment_id,
        destinations=destinations,
        action=str(action),
        pricing_option_id=pricing_option_id,
        governance_context=governance_context or None,
    )


def activation_key(segment_id: str, destination_id: str) -> str:
    """Return the ``signal_activations`` key of a signal on a destination."""
    return f"{segment_id}:{destination_id}"


def _live_key(signal: Signal, destination: Destination) -> dict[str, str]:
    if destination.type == "platform":
        return {"type": "segment_id", "segment_id": f"{destination.target}_{signal.segment_id}"}
    return {"type": "key_value", "key": AGENT_KEY, "value": signal.segment_id}


def apply_activation(
    session: Session, catalogue: Catalogue, request: ActivationRequest, now: datetime
) -> dict[str, Any]:
    """Activate or deactivate a signal on each destination and return the response payload.

    Activation is a spending event, so it passes the governance gate first; deactivation never
    spends and is always allowed.

    Raises:
        AdcpError: SIGNAL_AGENT_SEGMENT_NOT_FOUND for an unknown segment, INVALID_PRICING_MODEL for
            a pricing option the signal does not offer, GOVERNANCE_DENIED from the gate.
    """
    signal = catalogue.by_segment(request.segment_id)
    if signal is None:
        raise AdcpError(
            "SIGNAL_AGENT_SEGMENT_NOT_FOUND",
            f"Signal not found: {request.segment_id}. Use get_signals to discover available signals.",
            field="signal_agent_segment_id",
        )
    if request.pricing_option_id is not None and signal.pricing_option(request.pricing_option_id) is None:
        offered = ", ".join(po["pricing_option_id"] for po in signal.pricing_options)
        raise AdcpError(
            "INVALID_PRICING_MODEL",
            f"Pricing option not found: {request.pricing_option_id}. Available: {offered}",
            field="pricing_option_id",
        )
    activations = session.collection(ACTIVATIONS)
    stamp = iso(now)
    if request.action == "deactivate":
        for destination in request.destinations:
            activations.pop(activation_key(signal.segment_id, destination.target), None)
        deployments = [{**d.wire(), "is_live": False, "deployed_at": stamp} for d in request.destinations]
        return {"deployments": deployments, "sandbox": True}
    enforce_budget_gate(
        session,
        amount=None,
        currency=None,
        governance_context=request.governance_context,
        now=now,
        purchase_type="signal_activation",
    )
    deployments = []
    for destination in request.destinations:
        activations[activation_key(signal.segment_id, destination.target)] = {
            "signal_agent_segment_id": signal.segment_id,
            "destination": destination.wire(),
            "pricing_option_id": request.pricing_option_id,
            "is_live": True,
            "activated_at": stamp,
        }
        live = {"is_live": True, "activation_key": _live_key(signal, destination), "deployed_at": stamp}
        deployments.append({**destination.wire(), **live})
    return {"deployments": deployments, "sandbox": True}


def deployment_for(session: Session, signal: Signal, agent_url: str) -> dict[str, Any]:
    """Return the get_signals deployment of ``signal`` on this agent, live if activated here."""
    activation = None
    if session.has_collection(ACTIVATIONS):
        activation = session.collection(ACTIVATIONS).get(activation_key(signal.segment_id, agent_url))
    if activation is None:
        # Sandbox activations are instant.
        return {"type": "agent", "agent_url": agent_url, "is_live": False, "estimated_activation_duration_minutes": 0}
    return {
        "type": "agent",
        "agent_url": agent_url,
        "is_live": True,
        "activation_key": {"type": "key_value", "key": AGENT_KEY, "value": signal.segment_id},
        "deployed_at": activation["activated_at"],
    }
