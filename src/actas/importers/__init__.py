"""Per-station results and announcements that actas did not count itself, read from the files others
publish: CSVs as a mapping says, NIST SP 1500-100 JSON, TOML announcements; and the mappings and
examples shipped with actas."""
