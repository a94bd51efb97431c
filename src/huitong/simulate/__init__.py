"""The synthetic 汇通市 and the records its source systems hold (see docs/simulator.md)."""

from huitong.simulate.run import default_start, simulate

__all__ = ["default_start", "simulate"]
