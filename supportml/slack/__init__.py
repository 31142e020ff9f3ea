"""The Slack adapter: Bolt wiring (app), event handling (handlers), Block Kit (blocks), the Web API
client (client) and offline replay of stored messages (replay)."""
