"""The version of this copy of kpi-rules: the one place it is written."""

__version__ = "0.1.0"
