"""Command-line tools: the CLI (serve, seed, migrate, keys, dead letters) and the traffic simulator."""
