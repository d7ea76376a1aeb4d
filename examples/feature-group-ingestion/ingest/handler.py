"""Put each record of the event into the feature group (PutRecord writes the online and offline stores)."""

import os
import time

import boto3

_FEATURE_STORE = boto3.client("sagemaker-featurestore-runtime")


def handler(event, context):
    failed = []
    for record in event["records"]:
        values = {**record, "event_time": record.get("event_time", time.time())}
        try:
            _FEATURE_STORE.put_record(
                FeatureGroupName=os.environ["FEATURE_GROUP_NAME"],
                Record=[{"FeatureName": k, "ValueAsString": str(v)} for k, v in sorted(values.items())],
            )
        except _FEATURE_STORE.exceptions.ValidationError as err:
            failed.append({"record": record, "error": str(err)})
    return {"put": len(event["records"]) - len(failed), "failed": failed}
