"""Demo data: a fictional country's government, press and citizens, with six months of
posts in English, Hindi and Hinglish. Deterministic for a seed; generated, not copied."""

from chaupal.demo.load import DemoResult, load_demo

__all__ = ["DemoResult", "load_demo"]
