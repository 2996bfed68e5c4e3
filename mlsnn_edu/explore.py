"""``mlsnn-edu explore``: the chapters' sliders as a web app, without JupyterLab.

Voilà runs a notebook in a kernel and shows only its outputs, so the explorer's
sliders work in a plain browser tab. The notebook is written afresh into a
temporary folder each time from the library's explorer, so the app and the
chapter always show the same thing::

    mlsnn-edu explore                     # http://127.0.0.1:8866, quantization explorer
    mlsnn-edu explore activity            # spikes and energy of a small network, by T and N
    mlsnn-edu explore --port 9000 --open  # another port, and open a browser tab
    python -m mlsnn_edu.explore           # the same, without the CLI

To run Voilà by hand instead, write the notebook and pass it on::

    python -m mlsnn_edu.explore --write-notebook explorer.ipynb
    voila explorer.ipynb --Voila.ip=127.0.0.1 --port=8866 --VoilaConfiguration.extension_denylist=jupyterlab-jupytext

The server listens on 127.0.0.1 only; stop it with Ctrl+C.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

EXPLORERS: dict[str, tuple[str, str]] = {
    "quantization": (
        "# What a (T, N) neuron can represent\n\n"
        "Move **T** (timesteps) and **N** (levels per timestep): the neuron's output "
        "is a staircase with N·T + 1 levels and step θ/T on [0, N·θ]. The line above "
        "the plot gives the number of levels and the error of the staircase against "
        "the identity, for inputs spread evenly over the chosen range "
        "(chapter 2 of the book).",
        # inline: the figure must reach the page even when MPLBACKEND=Agg is set
        "%matplotlib inline\nfrom mlsnn_edu.widgets import quantization_explorer\n\n"
        "quantization_explorer()",
    ),
    "activity": (
        "# What T and N cost: spikes and energy\n\n"
        "A narrow ResNet18 (untrained weights fixed by a seed, batch norms calibrated "
        "on the embedded digits) runs on 16 digits. Move **T** and **N**, or switch "
        "between SEW-ResNet18 and Sparse-ResNet18: the line above the plot gives the "
        "spike events and spike mass per digit over all layers, the events at the "
        "second residual sum, and the analytical energy estimate; the plot gives the "
        "events layer by layer. Each new setting takes a few seconds to compute.",
        "%matplotlib inline\nfrom mlsnn_edu.activity_explorer import activity_explorer\n\n"
        "activity_explorer()",
    ),
}


def explorer_notebook(name: str) -> nbformat.NotebookNode:
    """The notebook Voilà runs for explorer ``name``: a title, an explanation and one cell."""
    if name not in EXPLORERS:
        raise ValueError(f"explorer must be one of {sorted(EXPLORERS)}, got {name!r}")
    text, code = EXPLORERS[name]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def write_explorer_notebook(name: str, path: Path) -> Path:
    """Write explorer ``name`` to ``path`` (a .ipynb file) and return the path."""
    nbformat.write(explorer_notebook(name), path)
    return path


def voila_command(notebook: Path, port: int, open_browser: bool = False) -> list[str]:
    """The command line that serves ``notebook`` with Voilà on 127.0.0.1:``port``."""
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",  # fail rather than silently move to another port
        "--theme=light",
        # jupytext's JupyterLab extension (installed with jupytext) is built for a
        # newer JupyterLab than Voila's page and fails to load there.
        "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
        "--show_tracebacks=True",
    ]
    if not open_browser:
        command.append("--no-browser")
    return command


def add_explore_arguments(parser: argparse.ArgumentParser) -> None:
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def explore_command(args: argparse.Namespace) -> int:
    """Serve the explorer with Voilà until Ctrl+C (or SIGTERM); return Voilà's exit status."""
    if not 1 <= args.port <= 65535:
        raise ValueError(f"--port must be in [1, 65535], got {args.port}")
    if args.write_notebook is not None:
        write_explorer_notebook(args.explorer, args.write_notebook)
        print(f"wrote {args.write_notebook}: run `voila {args.write_notebook}` to serve it")
        return 0
    signal.signal(signal.SIGTERM, _interrupt)  # stop Voilà and clean up on `kill` too
    with tempfile.TemporaryDirectory(prefix="mlsnn-edu-explore-") as folder:
        notebook = write_explorer_notebook(args.explorer, Path(folder) / f"{args.explorer}.ipynb")
        print(
            f"serving the {args.explorer} explorer at http://127.0.0.1:{args.port} (Ctrl+C stops)"
        )
        voila = subprocess.Popen(voila_command(notebook, args.port, open_browser=args.open))
        try:
            return voila.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            if voila.poll() is None:
                voila.terminate()
                try:
                    voila.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    voila.kill()
                    voila.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlsnn_edu.explore", description=__doc__.splitlines()[0]
    )
    add_explore_arguments(parser)
    return explore_command(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
