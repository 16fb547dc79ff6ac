"""What the ingest routes do: keys, validating and writing payloads, Open311 mapping, dead-letter replay."""
