"""Delivery status webhooks from Parcelo -> shipment tracking."""

__version__ = "3.1.4"
