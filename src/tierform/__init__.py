"""tierform: coverage-model-as-code for customer-success platforms."""

__version__ = "0.1.0"
