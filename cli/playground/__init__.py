"""``selfserve playground``: the real bot on SQLite, against the Slack stand-in, with a Slack-like page."""
