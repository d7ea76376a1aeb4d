"""``python -m sm_processing prepare|evaluate|generate`` is the same as the ``process`` command."""

import sys

from sm_processing.cli import main

if __name__ == "__main__":
    sys.exit(main())
