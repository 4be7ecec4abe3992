"""`kpi-rules serve`: the HTTP service, a thin shell over the same core as the CLI (SERVICE.md)."""
