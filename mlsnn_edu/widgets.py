"""Interactive explorers for the chapters, built from ipywidgets.

Each explorer is a plain object: its sliders are attributes, its latest result
is an attribute, and moving a slider in code (``explorer.timesteps.value = 3``)
recomputes everything, so tests need neither a kernel nor a browser.
"""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from mlsnn_edu.plots import plot_quantizer
from mlsnn_edu.quantization import QuantizationError, quantization_error

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
