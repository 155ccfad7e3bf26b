"""Optional heavy engines (transformers). Nothing here is imported by the default path."""
