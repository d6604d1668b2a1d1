"""The adapters that carry out fulfilment steps: webhooks over HTTP, messages and notices in Slack."""
