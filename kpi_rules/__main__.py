from kpi_rules.cli import run

run()
