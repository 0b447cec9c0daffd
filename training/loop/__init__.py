"""The self-improvement loop (`thinkset iterate`): config, steps, state in the catalog, report."""
