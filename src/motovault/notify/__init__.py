"""Notification delivery: the worker that drains the outbox into webhooks, email and push.

All rules live in SQL (deploy/outbox.sql, reminder_alerts.sql, notify_subscriptions.sql,
notify_deliveries.sql); this package only sends. docs/notifications.md describes both.
"""
