"""Reading a period's data: one reader per format, cells typed against the policy's inputs, the table."""
