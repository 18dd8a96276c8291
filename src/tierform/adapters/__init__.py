"""Platform adapters behind one SDK: :class:`Adapter`, capabilities, the registry, the HTTP layer.

Write a platform adapter by subclassing :class:`Adapter` (or :class:`HttpAdapter` for an HTTP API)
and registering it in the ``tierform.adapters`` entry-point group.
"""

from tierform.adapters.base import Adapter, AdapterContext, ApplyContext
from tierform.adapters.capabilities import Capabilities, Operation, unsupported
from tierform.adapters.registry import Registry
from tierform.adapters.settings import AdapterSettings, EnvSecret, HttpSettings

__all__ = [
    "Adapter",
    "AdapterContext",
    "AdapterSettings",
    "ApplyContext",
    "Capabilities",
    "EnvSecret",
    "HttpSettings",
    "Operation",
    "Registry",
    "unsupported",
]
