"""``python -m sagemaker_platform.local``: see ``sagemaker_platform.local.cli``."""

import sys

from sagemaker_platform.local.cli import main

sys.exit(main())
