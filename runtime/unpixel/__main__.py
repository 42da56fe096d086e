"""``python -m unpixel`` runs the command line."""

import sys

from unpixel.cli import main

sys.exit(main())
