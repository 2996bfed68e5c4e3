"""``python -m mlsnn_edu`` is the ``mlsnn-edu`` command."""

from mlsnn_edu.cli import main

raise SystemExit(main())
