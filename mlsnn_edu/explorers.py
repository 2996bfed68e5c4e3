"""The chapters' interactive explorers: ipywidgets sliders, and the same explorers as a web app.

Each explorer is a plain object: its sliders are attributes, its latest result
is an attribute, and moving a slider in code (``explorer.timesteps.value = 3``)
recomputes everything, so tests need neither a kernel nor a browser.

* :class:`QuantizationExplorer` (chapter 2): T, N, theta and the input range
  against the quantizer's level count and error;
* :class:`ActivityEnergyExplorer`: T and N against the spikes and the energy of
  a small residual network;
* :func:`serve_explorer`: either one as a Voilà web app on 127.0.0.1
  (``mlsnn-edu explore``), from the notebook :func:`explorer_notebook` writes.
"""

from __future__ import annotations

import base64
import html
import io
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import nbformat
import torch
from IPython import get_ipython
from IPython.display import clear_output, display

from mlsnn_edu.data.digits import digits_datasets
from mlsnn_edu.energy import calibrate_batch_norm, estimate_energy
from mlsnn_edu.figures import plot_activity, plot_quantizer
from mlsnn_edu.models import build_model
from mlsnn_edu.monitor import record_activity
from mlsnn_edu.quantization import QuantizationError, quantization_error

# --- chapter 2: the quantizer ----------------------------------------------------------------

LABEL_STYLE = {"description_width": "initial"}


class QuantizationExplorer:
    """Sliders for T, N, theta and the input range; redraws the quantizer and its error.

    The inputs are taken as uniform over the chosen range (a dense grid of
    ``samples`` points), so ``result.mse`` is the mean squared error
    :math:`\\mathbb{E}[(q(x) - x)^2]` under that distribution and
    ``result.max_abs`` the largest error on the range.
    """

    def __init__(
        self,
        timesteps: int = 1,
        levels: int = 4,
        theta: float = 1.0,
        input_range: tuple[float, float] = (0.0, 4.0),
        samples: int = 4001,
    ) -> None:
        self.samples = samples
        self.timesteps = widgets.IntSlider(
            value=timesteps, min=1, max=8, description="T (timesteps)", style=LABEL_STYLE
        )
        self.levels = widgets.IntSlider(
            value=levels, min=1, max=16, description="N (levels)", style=LABEL_STYLE
        )
        self.theta = widgets.FloatSlider(
            value=theta, min=0.1, max=2.0, step=0.05, description="theta", style=LABEL_STYLE
        )
        self.input_range = widgets.FloatRangeSlider(
            value=input_range, min=-2.0, max=10.0, step=0.1, description="inputs", style=LABEL_STYLE
        )
        self.summary = widgets.HTML()
        self.figure_image = widgets.HTML()
        self.result: QuantizationError
        self.figure = None
        for slider in (self.timesteps, self.levels, self.theta, self.input_range):
            slider.observe(self._update, names="value")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.timesteps, self.levels]),
                widgets.HBox([self.theta, self.input_range]),
                self.summary,
                self.figure_image,
            ]
        )
        self._update()

    def inputs(self) -> torch.Tensor:
        """The grid of input values the error is measured on."""
        low, high = self.input_range.value
        return torch.linspace(low, high, self.samples, dtype=torch.float64)

    def _update(self, change: object = None) -> None:
        settings = dict(
            timesteps=self.timesteps.value, levels=self.levels.value, theta=self.theta.value
        )
        self.result = quantization_error(self.inputs(), **settings)
        self.summary.value = (
            f"<b>levels</b>: <span class='levels'>{self.result.levels}</span> &nbsp; "
            f"<b>mean squared error</b>: <span class='mse'>{self.result.mse:.5f}</span> &nbsp; "
            f"<b>max error</b>: <span class='max-error'>{self.result.max_abs:.4f}</span>"
        )
        if self.figure is not None:
            plt.close(self.figure)
        ax = plot_quantizer(input_range=self.input_range.value, **settings)
        self.figure = ax.figure
        plt.close(self.figure)  # shown as an image in the widget, never on its own
        alt = (
            f"Staircase of the quantizer with T={settings['timesteps']}, N={settings['levels']}, "
            f"theta={settings['theta']:g} against the identity line"
        )
        self.figure_image.value = figure_as_img(self.figure, alt)

    def _ipython_display_(self) -> None:
        display(self.widget)


def figure_as_img(figure, alt: str) -> str:
    """An ``<img>`` tag holding ``figure`` as an inline PNG, with alt text for screen readers."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def quantization_explorer(**kwargs) -> QuantizationExplorer:
    """Build the chapter 2 explorer: ``display(quantization_explorer())`` or just leave it last in a cell."""
    return QuantizationExplorer(**kwargs)


# --- spikes and energy of a small network ----------------------------------------------------

NETWORKS = {"SEW-ResNet18": "sew_resnet18", "Sparse-ResNet18": "sparse_resnet18"}


@dataclass(frozen=True)
class ActivityEnergy:
    """Per inference (one digit): spike events and mass over all layers, and energy."""

    events: float  # non-zero spikes, summed over layers and timesteps
    mass: float  # sum of spike values: what a binary network would need in spikes
    sum1_events: float  # events at the second residual sum (the paper's "sum1")
    energy_uj: float  # analytical energy estimate, microjoules


@lru_cache(maxsize=1)
def _test_digits() -> torch.Tensor:
    return digits_datasets()[1].tensors[0]


@lru_cache(maxsize=64)
def _measure(network: str, timesteps: int, levels: int, width: int, samples: int, seed: int):
    torch.manual_seed(seed)
    model = build_model(network, timesteps=timesteps, levels=levels, width=width)
    inputs = _test_digits()[:samples]
    calibrate_batch_norm(model, inputs)
    monitor = record_activity(model, inputs)
    summary = monitor.summary()
    total = monitor.total()
    result = ActivityEnergy(
        events=total.events,
        mass=total.mass,
        sum1_events=summary["sum1"].events,
        energy_uj=estimate_energy(model, monitor).total / 1e6,
    )
    return result, summary


def activity_energy(
    network: str = "sparse_resnet18",
    *,
    timesteps: int = 1,
    levels: int = 4,
    width: int = 8,
    samples: int = 16,
    seed: int = 0,
) -> ActivityEnergy:
    """Spikes and energy per digit of ``network`` at (T, N), on the first ``samples`` test digits."""
    return _measure(network, timesteps, levels, width, samples, seed)[0]


class ActivityEnergyExplorer:
    """Sliders for T, N and the network; shows spike events, spike mass and energy per digit."""

    def __init__(
        self,
        timesteps: int = 1,
        levels: int = 4,
        network: str = "sparse_resnet18",
        width: int = 8,
        samples: int = 16,
    ) -> None:
        self.width, self.samples = width, samples
        self.timesteps = widgets.IntSlider(value=timesteps, min=1, max=4, description="T")
        self.levels = widgets.IntSlider(value=levels, min=1, max=8, description="N")
        self.network = widgets.ToggleButtons(options=NETWORKS, value=network, description="network")
        self.summary = widgets.HTML()
        self.figure_output = widgets.Output()
        self.result: ActivityEnergy
        for control in (self.timesteps, self.levels, self.network):
            control.observe(self._update, names="value")
        self.widget = widgets.VBox(
            [
                self.network,
                widgets.HBox([self.timesteps, self.levels]),
                self.summary,
                self.figure_output,
            ]
        )
        self._update()

    def _update(self, change: object = None) -> None:
        settings = dict(timesteps=self.timesteps.value, levels=self.levels.value)
        self.result, summary = _measure(
            self.network.value, **settings, width=self.width, samples=self.samples, seed=0
        )
        if get_ipython() is not None:  # a front end to draw for
            label = f"{self.network.label}, T={settings['timesteps']}, N={settings['levels']}"
            ax = plot_activity({label: summary}, field="events")
            ax.set_title(f"Spike events per digit, layer by layer: {label}")
            ax.figure.tight_layout()
            with self.figure_output:
                clear_output(wait=True)
                display(ax.figure)
            plt.close(ax.figure)
        # The numbers change last, once the figure shows the same setting.
        self.summary.value = (
            f"per digit: <b>spike events</b> <span class='events'>{self.result.events:,.0f}</span>"
            f" &nbsp; <b>spike mass</b> <span class='mass'>{self.result.mass:,.0f}</span>"
            f" &nbsp; <b>events at sum1</b> <span class='sum1'>{self.result.sum1_events:,.0f}</span>"
            f" &nbsp; <b>energy</b> <span class='energy'>{self.result.energy_uj:.2f}</span> µJ"
        )

    def _ipython_display_(self) -> None:
        display(self.widget)


def activity_explorer(**kwargs) -> ActivityEnergyExplorer:
    """Build the activity and energy explorer: leave it last in a cell to show it."""
    return ActivityEnergyExplorer(**kwargs)


# --- the explorers as a web app (Voila) -----------------------------------------------------

EXPLORERS: dict[str, tuple[str, str]] = {
    "quantization": (
        "# What a (T, N) neuron can represent\n\n"
        "Move **T** (timesteps) and **N** (levels per timestep): the neuron's output "
        "is a staircase with N·T + 1 levels and step θ/T on [0, N·θ]. The line above "
        "the plot gives the number of levels and the error of the staircase against "
        "the identity, for inputs spread evenly over the chosen range "
        "(chapter 2 of the book).",
        # inline: the figure must reach the page even when MPLBACKEND=Agg is set
        "%matplotlib inline\nfrom mlsnn_edu.explorers import quantization_explorer\n\n"
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
        "%matplotlib inline\nfrom mlsnn_edu.explorers import activity_explorer\n\n"
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


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_explorer(name: str, port: int, open_browser: bool = False) -> int:
    """Serve explorer ``name`` with Voilà until Ctrl+C (or SIGTERM); return Voilà's exit status."""
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be in [1, 65535], got {port}")
    signal.signal(signal.SIGTERM, _interrupt)  # stop Voilà and clean up on `kill` too
    with tempfile.TemporaryDirectory(prefix="mlsnn-edu-explore-") as folder:
        notebook = write_explorer_notebook(name, Path(folder) / f"{name}.ipynb")
        print(f"serving the {name} explorer at http://127.0.0.1:{port} (Ctrl+C stops)")
        voila = subprocess.Popen(voila_command(notebook, port, open_browser=open_browser))
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
