"""The synthesis benchmark (`python -m benchmarks.synth`); results in BENCHMARKS.md, "Synthesis and scale"."""

import os

# Every worker imports the CDK, whose jsii runtime prints a banner on Node 20 unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
