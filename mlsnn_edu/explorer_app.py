"""The explorers as a web app: each one served by Voilà on 127.0.0.1 (``mlsnn-edu explore``).

:func:`explorer_notebook` writes the one-cell notebook Voilà runs for an
explorer of :mod:`~mlsnn_edu.explorers`; :func:`serve_explorer` checks the
port, serves it with the offline template in ``explorer_assets/`` and stops
Voilà on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from mlsnn_edu.files import write_atomically

if TYPE_CHECKING:
    from nbformat import NotebookNode

VOILA_TEMPLATE = "mlsnn-offline"

EXPLORERS: dict[str, tuple[str, str]] = {
    "quantization": (
        "# What a (T, N) neuron can represent\n\n"
        "Move **T** (timesteps) and **N** (levels per timestep): the neuron's output "
        "is a staircase with N·T + 1 levels and step θ/T on [0, N·θ]. The line above "
        "the plot gives the number of levels and the error of the staircase against "
        "the identity, for inputs spread evenly over the chosen range "
        "(chapter 2 of the book). The page computes by itself: the kernel only builds it.",
        "from mlsnn_edu.explorers import quantization_explorer\n\nquantization_explorer()",
    ),
    "activity": (
        "# What T and N cost: spikes and energy\n\n"
        "A narrow ResNet18 (untrained weights fixed by a seed, batch norms calibrated "
        "on the embedded digits) runs on 16 digits. Move **T** and **N**, or switch "
        "between SEW-ResNet18 and Sparse-ResNet18: the line above the plot gives the "
        "spike events and spike mass per digit over all layers, the events at the "
        "second residual sum, and the analytical energy estimate; the plot gives the "
        "events layer by layer. Each new setting takes a few seconds to compute.",
        # inline: the figure must reach the page whatever backend the environment sets
        "%matplotlib inline\nfrom mlsnn_edu.explorers import activity_explorer\n\n"
        "activity_explorer()",
    ),
}


def explorer_notebook(name: str) -> NotebookNode:
    """The notebook Voilà runs for explorer ``name``: a title, an explanation and one cell."""
    # here, not at the top: nbformat's schema checks take over a second to import, which
    # every mlsnn-edu command would pay (the command line imports this module)
    import nbformat

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
    """Write explorer ``name`` to ``path`` (a .ipynb file, its folder made if missing)."""
    notebook = explorer_notebook(name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(path, json.dumps(notebook, indent=1, sort_keys=True) + "\n")


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
        f"--template={VOILA_TEMPLATE}",  # found through voila_environment()'s JUPYTER_PATH
        # jupytext's JupyterLab extension (installed with jupytext) is built for a
        # newer JupyterLab than Voila's page and fails to load there.
        "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
        "--show_tracebacks=True",
    ]
    if not open_browser:
        command.append("--no-browser")
    return command


def voila_environment() -> dict[str, str]:
    """The environment Voilà runs in: our template folder first on ``JUPYTER_PATH``."""
    from mlsnn_edu.explorers import ASSETS  # here: the command line runs without ipywidgets

    paths = [str(ASSETS), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    return {**os.environ, "JUPYTER_PATH": os.pathsep.join(paths)}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def check_port_free(port: int, host: str = "127.0.0.1") -> int:
    """Raise ``ValueError`` naming ``--port`` unless ``port`` is in range and free on ``host``.

    Binding a socket (without listening) is what Voilà will do next: a port
    another server holds fails here, before "serving" is printed.
    """
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be in [1, 65535], got {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Voila's server does
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ValueError(
                f"--port {port}: {host}:{port} is not available ({error.strerror or error}); "
                "another server may be using it: choose another port with --port N"
            ) from None
    return port


def serve_explorer(name: str, port: int, open_browser: bool = False) -> int:
    """Serve explorer ``name`` with Voilà until Ctrl+C (or SIGTERM); return Voilà's exit status."""
    check_port_free(port)
    signal.signal(signal.SIGTERM, _interrupt)  # stop Voilà and clean up on `kill` too
    with tempfile.TemporaryDirectory(prefix="mlsnn-edu-explore-") as folder:
        notebook = write_explorer_notebook(name, Path(folder) / f"{name}.ipynb")
        print(f"serving the {name} explorer at http://127.0.0.1:{port} (Ctrl+C stops)")
        voila = subprocess.Popen(
            voila_command(notebook, port, open_browser=open_browser), env=voila_environment()
        )
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
