"""Results in the formats other systems read: NIST SP 1500-100 v2 JSON, and CSV one row per station."""
