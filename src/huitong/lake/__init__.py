"""The lake: immutable raw landing, bronze Iceberg tables, the quarantine and the batch ledger."""
