"""Process plumbing: settings, logging, clock, version, heap tuning, progress lines."""
