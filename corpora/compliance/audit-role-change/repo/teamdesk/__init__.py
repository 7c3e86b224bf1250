"""User administration for the support desk."""

__version__ = "1.8.0"
