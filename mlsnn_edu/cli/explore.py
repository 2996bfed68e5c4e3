"""``mlsnn-edu explore``: the chapters' sliders as a web app (Voila on 127.0.0.1)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlsnn_edu.explorer_app import EXPLORERS, serve_explorer, write_explorer_notebook
from mlsnn_edu.files import check_output_file


def add_explore_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlsnn-edu explore [EXPLORER] [--port P] [--open] [--write-notebook PATH]``."""
    parser.add_argument(
        "explorer",
        nargs="?",
        default="quantization",
        choices=sorted(EXPLORERS),
        help="which explorer to serve (default: quantization)",
    )
    parser.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default: 8866)")
    parser.add_argument("--open", action="store_true", help="open the app in a browser tab")
    parser.add_argument(
        "--write-notebook",
        type=Path,
        metavar="PATH",
        help="only write the explorer's notebook to PATH (to run voila on it yourself)",
    )


def explore_command(args: argparse.Namespace) -> int:
    """Serve an explorer with Voilà until Ctrl+C, or only write its notebook."""
    if args.write_notebook is not None:
        check_output_file(args.write_notebook, "--write-notebook", (".ipynb",))
        write_explorer_notebook(args.explorer, args.write_notebook)
        print(f"wrote {args.write_notebook}: run `voila {args.write_notebook}` to serve it")
        return 0
    return serve_explorer(args.explorer, args.port, open_browser=args.open)
