"""Keys: the system's signing and verify keys, the people file, a person's key or ssh-agent."""
