"""`python -m supportml` runs the CLI."""

from supportml.cli import main

main()
