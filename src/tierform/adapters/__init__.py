"""Platform adapters (one sub-package each) and the shared HTTP layer (``adapters.http``).

The adapter contract itself lives beside the engine that drives it (:mod:`tierform.sync.adapter`,
``capabilities``, ``settings``, ``registry``), so the arrows run platforms -> sync -> core. It is
re-exported here, the one import path for third-party plugins: subclass :class:`Adapter` (or
:class:`~tierform.adapters.http.HttpAdapter` for an HTTP API) and register it in the
``tierform.adapters`` entry-point group.
"""

from tierform.sync.adapter import Adapter, AdapterContext, ApplyContext
from tierform.sync.capabilities import Capabilities, Operation, unsupported
from tierform.sync.registry import Registry
from tierform.sync.settings import AdapterSettings, EnvSecret, HttpSettings

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
