"""Call the endpoint: the event's "rows" (lists of numbers) as CSV, the predictions back as a list."""

import os

import boto3

_RUNTIME = boto3.client("sagemaker-runtime")


def handler(event, context):
    body = "\n".join(",".join(str(float(value)) for value in row) for row in event["rows"])
    response = _RUNTIME.invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"], ContentType="text/csv", Accept="text/csv", Body=body
    )
    return {"predictions": [float(p) for p in response["Body"].read().decode().replace("\n", ",").split(",") if p]}
