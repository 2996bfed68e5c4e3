"""mlsnn-edu: multi-level spiking neural networks, all in one timestep.

The library behind the executable textbook on Castagnetti, Pegatoquet and
Miramond, "All in one timestep: Enhancing Sparsity and Energy efficiency in
Multi-level Spiking Neural Networks" (arXiv 2510.24637).
"""

__version__ = "0.1.0"
