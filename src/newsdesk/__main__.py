"""`python -m newsdesk` runs the command line."""

import sys

from newsdesk.cli import main, run

if sys.modules["__main__"].__dict__ is globals():
    run()
# run by another tool's runner (python -m cProfile -m newsdesk): that tool reports after we return
raise SystemExit(main())
