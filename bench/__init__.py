"""selfserve's benchmark: the real app over HTTP against the Slack stand-in, next to bare Bolt.

Run it with ``python3 tasks.py bench`` (see bench/README.md). This is a script, not a test:
it measures and reports, it never asserts.
"""
