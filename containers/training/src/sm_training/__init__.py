"""SageMaker training container: XGBoost on tabular data, following the /opt/ml training contract."""

__version__ = "0.1.0"
