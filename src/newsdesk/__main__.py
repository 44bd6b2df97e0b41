"""`python -m newsdesk` runs the command line."""

from newsdesk.cli import main

raise SystemExit(main())
