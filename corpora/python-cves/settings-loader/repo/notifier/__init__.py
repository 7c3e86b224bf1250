"""Fan out deployment events to webhooks."""

__version__ = "1.4.2"
