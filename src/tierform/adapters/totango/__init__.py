"""The Totango adapter (``platform: totango``): see :mod:`tierform.adapters.totango.adapter`.

Modules: ``settings`` (the target's settings), ``auth`` (the ``app-token`` header), ``client``
(Totango's endpoints over the SDK's HTTP client), ``query`` (Search API queries and replies),
``partition`` (reading past the Search API's 10,000-record reach), ``people`` (roster CSMs to
Totango users), ``reader`` (the read), ``gateway`` (attribute writes through the HTTP gateway),
``verify`` (reading those writes back), ``tasks`` and ``plays`` (work items),
``flows`` (the Flow a task is filed under), ``buildsheet``
(steps in Totango's vocabulary for what only its UI can create).
"""
