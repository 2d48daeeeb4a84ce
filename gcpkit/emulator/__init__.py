"""A local emulator of Google Cloud control-plane APIs. Imports nothing from gcpkit but gcpkit.constants."""
