"""Progress on a terminal for long commands (rate and ETA), silent when piped or under ``--json``."""
