"""Pure core: domain types and decisions. No I/O, no clock reads, no Slack, no SQL."""
