"""The Spanish text checker: plain language (DNP), inclusive language (Acuerdo 381
de 2009), accessibility of social posts (Resolución 1519 de 2020), government
brands (Ley 2345 de 2023) and each network's length limits.

``engine.check_text`` is pure Python: no network, no database, no model download.
``config.settings_for(org)`` merges the shipped word lists and thresholds
(``data/*.json``) with the organization's overrides edited in the admin.
"""
