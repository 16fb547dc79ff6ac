"""The domain and its data: vocabulary, scopes and windows, KPI rules, the clock, ingest validation, the store."""
