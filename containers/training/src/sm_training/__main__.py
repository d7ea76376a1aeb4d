"""``python -m sm_training`` runs the ``train`` entrypoint (SageMaker passes ``train`` as argument)."""

import sys

from sm_training.train import main

if __name__ == "__main__":
    # SageMaker starts the image as `docker run IMAGE train`; the argument carries no options.
    if sys.argv[1:] not in ([], ["train"]):
        sys.exit(f"usage: python -m sm_training [train]  (got {' '.join(sys.argv[1:])})")
    sys.exit(main())
