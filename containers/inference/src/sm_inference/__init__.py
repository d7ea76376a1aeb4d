"""SageMaker inference container: a lean pre-fork HTTP server for XGBoost models."""

__version__ = "0.1.0"
