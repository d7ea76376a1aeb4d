"""Start MMS the way the SageMaker inference toolkit does, with its properties file under benchmarks/out.

``start_model_server`` writes ``/etc/sagemaker-mms.properties``; pointing ``MMS_CONFIG_FILE``
elsewhere keeps the shared machine's /etc untouched. Everything else is the toolkit's own code:
``SAGEMAKER_BASE_DIR`` (read at import) locates the model and ``model/code/inference.py``.

    python mms_launcher.py PROPERTIES_FILE
"""

import sys

from sagemaker_inference import model_server

model_server.MMS_CONFIG_FILE = sys.argv[1]
model_server.start_model_server()
