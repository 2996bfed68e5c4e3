r"""Energy per operation and per memory access: named presets with their sources.

Horowitz (ISSCC 2014, "Computing's energy problem", 45 nm, 0.9 V) measured:

=====================  ==========  ============
operation              8/16 bit    32 bit
=====================  ==========  ============
integer add            0.03 pJ     0.1 pJ
integer multiply       0.2 pJ      3.1 pJ
floating-point add     0.4 pJ      0.9 pJ
floating-point mult.   1.1 pJ      3.7 pJ
=====================  ==========  ============

and 10 / 20 / 100 pJ to read 64 bits from an 8 KiB / 32 KiB / 1 MiB SRAM. The
cost of a memory access grows with the size of the memory. Lemaire et al.
(ICONIP 2022) fit a line through those three SRAM points; an access to a memory
holding :math:`n` values of :math:`b` bits costs

.. math::

    E_{ram}(n, b) = 1.09 \times 10^{-5}\ \mathrm{pJ/bit} \cdot n\,b + 13.2\ \mathrm{pJ}.

An operation costs :math:`E_{add}` (accumulate) or :math:`E_{add} + E_{mul}`
(multiply-accumulate).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlsnn_edu.checks import check_choice

HOROWITZ_45NM_PJ = {
    "int8 add": 0.03,
    "int8 mul": 0.2,
    "int32 add": 0.1,
    "int32 mul": 3.1,
    "fp16 add": 0.4,
    "fp16 mul": 1.1,
    "fp32 add": 0.9,
    "fp32 mul": 3.7,
    "sram 8KiB read (64 bit)": 10.0,
    "sram 32KiB read (64 bit)": 20.0,
    "sram 1MiB read (64 bit)": 100.0,
}
"""Horowitz (ISSCC 2014), 45 nm: energy in pJ of one operation or one 64-bit SRAM read."""

SRAM_PJ_PER_BIT = 1.09e-5
SRAM_PJ_OFFSET = 13.2

HOROWITZ_SOURCE = "Horowitz, ISSCC 2014 (45 nm); SRAM line of Lemaire et al., ICONIP 2022"


@dataclass(frozen=True)
class EnergyPreset:
    r"""Energies in pJ: one add, one multiply, and the SRAM line ``ram_per_bit * n*b + ram_offset``.

    ``bits`` is the width of every stored value (weights, potentials, biases,
    activations) and so sets the size of each memory.
    """

    name: str
    add_pj: float
    mul_pj: float
    bits: int
    ram_per_bit_pj: float
    ram_offset_pj: float
    source: str

    def mac_pj(self) -> float:
        """One multiply-accumulate: :math:`E_{add} + E_{mul}`."""
        return self.add_pj + self.mul_pj

    def ram_access_pj(self, values: float) -> float:
        r"""One access to a memory holding ``values`` values of ``bits`` bits: :math:`E_{ram}(n, b)`."""
        if values <= 0 or (self.ram_per_bit_pj == 0 and self.ram_offset_pj == 0):
            return 0.0
        return self.ram_per_bit_pj * values * self.bits + self.ram_offset_pj

    def describe(self) -> str:
        """One line with every number of the preset and where it comes from."""
        if self.ram_per_bit_pj == 0 and self.ram_offset_pj == 0:
            memory = "memory accesses not charged"
        else:
            memory = (
                f"SRAM access {self.ram_per_bit_pj:.3g} pJ/bit x size + {self.ram_offset_pj:g} pJ"
            )
        return (
            f"preset {self.name}: add {self.add_pj:g} pJ, mul {self.mul_pj:g} pJ, "
            f"{self.bits}-bit values, {memory} [{self.source}]"
        )


PRESETS: dict[str, EnergyPreset] = {
    "horowitz45nm": EnergyPreset(
        "horowitz45nm",
        add_pj=HOROWITZ_45NM_PJ["fp32 add"],
        mul_pj=HOROWITZ_45NM_PJ["fp32 mul"],
        bits=32,
        ram_per_bit_pj=SRAM_PJ_PER_BIT,
        ram_offset_pj=SRAM_PJ_OFFSET,
        source=HOROWITZ_SOURCE + "; 32-bit floating point",
    ),
    "horowitz45nm_int8": EnergyPreset(
        "horowitz45nm_int8",
        add_pj=HOROWITZ_45NM_PJ["int8 add"],
        mul_pj=HOROWITZ_45NM_PJ["int8 mul"],
        bits=8,
        ram_per_bit_pj=SRAM_PJ_PER_BIT,
        ram_offset_pj=SRAM_PJ_OFFSET,
        source=HOROWITZ_SOURCE + "; 8-bit integers",
    ),
    "horowitz45nm_ops_only": EnergyPreset(
        "horowitz45nm_ops_only",
        add_pj=HOROWITZ_45NM_PJ["fp32 add"],
        mul_pj=HOROWITZ_45NM_PJ["fp32 mul"],
        bits=32,
        ram_per_bit_pj=0.0,
        ram_offset_pj=0.0,
        source="Horowitz, ISSCC 2014 (45 nm) 32-bit floating point, "
        "memory ignored as in the usual 4.6 pJ MAC / 0.9 pJ AC estimates",
    ),
}
"""The named presets. ``horowitz45nm_ops_only`` is the common operations-only estimate."""

PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def get_preset(preset: str | EnergyPreset) -> EnergyPreset:
    """The preset called ``preset`` (or ``preset`` itself when it already is one)."""
    if isinstance(preset, EnergyPreset):
        return preset
    return PRESETS[check_choice(preset, PRESET_NAMES, "preset")]
