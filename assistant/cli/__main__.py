"""``python -m assistant.cli`` runs the ``drivetalk`` command."""

import sys

from assistant.cli import main

sys.exit(main())
