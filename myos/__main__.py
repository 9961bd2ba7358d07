"""`python -m myos`: the host tool (see myos/cli.py)."""
import sys

from .cli import main

sys.exit(main())
