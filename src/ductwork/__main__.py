"""`python -m ductwork` runs the CLI."""

from ductwork.cli.main import main

main()
