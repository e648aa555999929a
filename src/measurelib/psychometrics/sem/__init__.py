"""Confirmatory factor analysis and invariance (as R lavaan): syntax, engine, estimators."""
