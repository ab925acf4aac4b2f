"""Tenant supervision: one asyncio task per tenant, OTP one_for_one restarts with backoff."""
