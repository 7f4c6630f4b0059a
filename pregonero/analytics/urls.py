"""Estadísticas (dashboard, collection status), imports and reports.

Each views module keeps its own ``urlpatterns``; this file only joins them.
"""

from . import dashboard_views, import_views, report_views

app_name = "analytics"

urlpatterns = [
    *dashboard_views.urlpatterns,
    *import_views.urlpatterns,
    *report_views.urlpatterns,
]
