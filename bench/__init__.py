"""gcpkit's benchmark suite: `python -m bench` runs everything against the emulator and prints one table."""
