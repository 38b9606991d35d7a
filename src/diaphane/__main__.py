"""``python -m diaphane``: the same as the ``diaphane`` command."""

import sys

from diaphane.cli import main

sys.exit(main())
