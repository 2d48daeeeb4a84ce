"""gcpkit: Google Cloud architecture patterns from one command."""

__version__ = "0.1.0"
