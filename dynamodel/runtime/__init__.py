"""The runtime: everything that talks to DynamoDB through boto3.

``codec`` turns values into DynamoDB attribute values and back, ``errors`` maps
botocore errors onto dynamodel's exception tree, ``retry`` and ``batch`` keep
throttled and unprocessed requests going until done or a clear error.
"""
