"""The runtime: everything that talks to DynamoDB through boto3.

The requests themselves are built by ``dynamodel.compile`` (pure, unsent); the runtime sends
them. ``errors`` maps botocore errors onto dynamodel's exception tree, ``retry`` and
``batch`` keep throttled and unprocessed requests going until done or a clear error.
Writes: ``writes`` (create/put/update/delete of one entity), ``sending`` (write ids, lost
writes recognised, transactions), ``guards`` (unique values), ``write_patterns`` and
``pattern_deletes`` (several entities in one transaction), ``copies``, ``immutables``,
``versions`` (the stored state behind an instance), ``bulk`` (batch loads of entities).
"""
