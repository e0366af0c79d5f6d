"""The `ductwork` command: `ductwork.cli.main:main` is the root; core commands live beside it
and each vendor adds its own group from `vendors/<vendor>/cli.py`. Modules here import only
click and the light registry at import time, so `--help` starts fast."""
