"""The rules: indicator catalogue, rule sets, projects, the engine, checks and matching."""
