"""The Gainsight CS (NXT) adapter (``platform: gainsight``): see :mod:`.adapter`.

Modules, one job each: ``settings`` (the target's settings), ``auth`` (accesskey header and M2M
OAuth), ``transport`` (the response envelope: failures at HTTP 200, no redirects), ``client``
(Gainsight's endpoints), ``mapping`` (tierform fields <-> Company API names and types),
``reader`` (Companies, users, describe), ``writer`` (Company updates in batches of 50, read back),
``cta`` (work items as Cockpit CTAs), ``budget`` (the tenant's daily request budget) and
``buildsheet`` (steps in Gainsight's UI vocabulary).
"""
