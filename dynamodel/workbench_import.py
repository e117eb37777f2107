"""Reading a NoSQL Workbench data model into a dynamodel spec skeleton (``dynamodel import-workbench``)."""
