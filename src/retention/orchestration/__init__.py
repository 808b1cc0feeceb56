"""What the Airflow DAGs call: each step one function, keyed by its quarter, safe to re-run."""
