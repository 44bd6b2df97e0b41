"""`python -m newsdesk` runs the command line."""

from newsdesk.cli import run

run()
