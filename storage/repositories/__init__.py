"""Repositories: the only code that builds queries. Each takes the unit of work's session."""
