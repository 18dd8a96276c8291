"""Shipped test helpers: an in-memory :class:`FakeAdapter`, the adapter conformance suite, and
``sample``, the deterministic account-book generator behind the example and the benchmarks.

A platform adapter (a third party's too) proves itself by subclassing
:class:`~tierform.testing.conformance.AdapterContract` in its own tests and providing a
``harness`` fixture that builds the adapter against its own fake platform.
"""

from tierform.testing.conformance import AdapterContract, Harness, sample_desired
from tierform.testing.fake import FakeAdapter, FakePlatform, fake_adapter_class

__all__ = [
    "AdapterContract",
    "FakeAdapter",
    "FakePlatform",
    "Harness",
    "fake_adapter_class",
    "sample_desired",
]
