"""`python -m ductwork` runs the CLI."""

from ductwork.cli import main

main()
