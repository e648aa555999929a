"""Exploratory factor analysis: extraction, rotation, factor statistics (as R psych::fa)."""
