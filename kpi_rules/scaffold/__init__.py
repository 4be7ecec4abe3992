"""`kpi-rules init`: a new policy repository, from the files in `scaffold/files/`."""
