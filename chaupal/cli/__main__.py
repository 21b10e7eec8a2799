"""`python -m chaupal.cli` runs the command line."""

from chaupal.cli import main

main()
