"""History importers: readers that turn a source into records, and the batch writer (load.py)."""
