"""`python -m gemeingut.cli`: the same command as `gemeingut` (tests start servers so)."""

from gemeingut.cli import main

main()
