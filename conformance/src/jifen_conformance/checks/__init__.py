"""Python checks: what YAML cannot express (concurrency, timing, documents)."""
