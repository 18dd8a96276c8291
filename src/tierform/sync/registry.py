"""Finding adapters: the ``tierform.adapters`` entry-point group, held in an explicit Registry.

A third-party package registers ``[project.entry-points."tierform.adapters"] myplatform =
"my_pkg.adapter:MyAdapter"``; ``platform: myplatform`` in a target then uses it. The registry is
an object (not global class state), so tests build their own with :meth:`Registry.of`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib import import_module
from importlib.metadata import entry_points

from tierform.errors import ConfigError, Issue
from tierform.sync.adapter import Adapter

log = logging.getLogger(__name__)

GROUP = "tierform.adapters"

# The adapters shipped in this package, used only when the installed metadata does not list them
# (a checkout run without reinstalling after pyproject.toml changed). Keep in step with pyproject.
BUILTIN: dict[str, str] = {
    "xlsx": "tierform.adapters.xlsx.adapter:XlsxAdapter",
    "sheets": "tierform.adapters.sheets.adapter:SheetsAdapter",
    "vitally": "tierform.adapters.vitally.adapter:VitallyAdapter",
    "totango": "tierform.adapters.totango.adapter:TotangoAdapter",
    "churnzero": "tierform.adapters.churnzero.adapter:ChurnZeroAdapter",
    "gainsight": "tierform.adapters.gainsight.adapter:GainsightAdapter",
}


class Registry:
    """Platform name -> adapter class, loaded lazily so one broken plugin breaks only itself."""

    def __init__(self, targets: dict[str, str] | None = None) -> None:
        self._targets: dict[str, str] = dict(targets or {})
        self._loaded: dict[str, type[Adapter]] = {}

    @classmethod
    def of(cls, adapters: Iterable[type[Adapter]]) -> Registry:
        reg = cls()
        for adapter in adapters:
            reg._loaded[adapter.platform] = adapter
        return reg

    @classmethod
    def discover(cls) -> Registry:
        """The built-ins plus every installed ``tierform.adapters`` entry point."""
        targets = dict(BUILTIN)
        for ep in entry_points(group=GROUP):
            targets[ep.name] = ep.value
        return cls(targets)

    def names(self) -> list[str]:
        return sorted(set(self._targets) | set(self._loaded))

    def get(self, platform: str) -> type[Adapter]:
        if platform in self._loaded:
            return self._loaded[platform]
        target = self._targets.get(platform)
        if target is None:
            raise ConfigError(
                [
                    Issue(
                        f"no adapter for platform {platform!r} (installed: "
                        f"{', '.join(self.names()) or 'none'})",
                        key="platform",
                    )
                ]
            )
        module_name, _, attr = target.partition(":")
        try:
            adapter = getattr(import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(
                [
                    Issue(
                        f"adapter {platform!r} cannot be loaded from {target}: {exc}"
                        " (is its package installed with its extras?)",
                        key="platform",
                    )
                ]
            ) from None
        if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
            raise ConfigError([Issue(f"{target} is not a tierform Adapter", key="platform")])
        self._loaded[platform] = adapter
        return adapter

    def available(self) -> dict[str, type[Adapter] | str]:
        """Every adapter that loads, or the reason it does not (for ``tierform adapters``)."""
        out: dict[str, type[Adapter] | str] = {}
        for name in self.names():
            try:
                out[name] = self.get(name)
            except ConfigError as exc:
                out[name] = str(exc.issues[0].message)
        return out
