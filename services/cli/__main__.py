"""`python -m services.cli`: the `taitotaso` command."""
import sys

from services.cli import main

sys.exit(main())
