"""The machinery behind ``mlsnn-edu assignments``: see :mod:`mlsnn_edu.assignments`."""
