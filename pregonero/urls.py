from django.contrib import admin
from django.urls import include, path

from pregonero.api.api import api
from pregonero.core import views as core_views
from pregonero.inbox import webhooks as inbox_webhooks

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("", include("pregonero.core.urls")),
    path("necesidades/", include("pregonero.intake.urls")),
    path("planeacion/", include("pregonero.planning.urls")),
    path("piezas/", include("pregonero.content.urls")),
    path("publicaciones/", include("pregonero.publishing.urls")),
    path("encargos/", include("pregonero.accounts.urls")),
    path("estadisticas/", include("pregonero.analytics.urls")),
    path("bandeja/buzon/", include("pregonero.mailbox.urls")),
    path("bandeja/", include("pregonero.inbox.urls")),
    path("webhooks/meta/", inbox_webhooks.meta, name="webhook_meta"),
    path("api/v1/", api.urls),
    path("cuenta/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
