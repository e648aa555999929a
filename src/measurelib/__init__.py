"""measurelib: patient-reported outcome measures, from YAML to evidence."""
__version__ = "0.1.0"
