"""The quality gate: Great Expectations checks that decide whether a quarter is released."""
