"""Subscriptions API (django-ninja router, mounted at /api/ in tracker/api.py)."""

from ninja import Router

router = Router(tags=["subscriptions"])
