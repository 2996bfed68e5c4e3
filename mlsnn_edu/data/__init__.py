"""Datasets: the embedded digits (default, offline), CIFAR-10/100 and CIFAR10-DVS."""

from mlsnn_edu.data.digits import digits_datasets

__all__ = ["digits_datasets"]
