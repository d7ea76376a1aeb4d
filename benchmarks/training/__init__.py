"""The training benchmark (`python -m benchmarks.training`); see benchmarks/README.md."""

import os

# Local mode imports the CDK library, whose jsii runtime prints a banner on Node 20 unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
