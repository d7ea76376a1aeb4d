"""``python -m sm_inference [serve]`` runs the model server, as the ``serve`` command does."""

import sys

from sm_inference.server import main

if __name__ == "__main__":
    sys.exit(main())
