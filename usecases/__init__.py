"""One function per use case, called by the CLI and the flows alike."""
