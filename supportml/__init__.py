"""supportml: track, categorise and report support requests that arrive in Slack."""

__version__ = "0.1.0"  # the only place: pyproject.toml reads it (tool.setuptools.dynamic)
