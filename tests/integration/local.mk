# tests/integration/: clusters of real brokers driven by real clients.
