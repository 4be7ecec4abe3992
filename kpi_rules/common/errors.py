"""The root of every exception kpi-rules raises on purpose."""


class KpiRulesError(Exception):
    """Root of every exception kpi-rules raises on purpose."""
