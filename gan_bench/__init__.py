"""gan-bench."""
