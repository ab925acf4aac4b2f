"""Governance: plans, checks and outcomes, the spend gate other tenants call, lists and content standards."""

from __future__ import annotations
