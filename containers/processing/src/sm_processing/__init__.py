"""SageMaker processing container: data preparation, model evaluation and synthetic data."""

__version__ = "0.1.0"
