from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("mi-trabajo/", views.my_work, name="my_work"),
    path("avisos/", views.notifications, name="notifications"),
    path("avisos/leidos/", views.notifications_read, name="notifications_read"),
    path("avisos/<int:pk>/", views.notification_open, name="notification_open"),
    path("perfil/", views.profile, name="profile"),
    path("puntos-de-control/", views.control_register, name="control_register"),
    path("auditoria/", views.audit_log, name="audit_log"),
    path("auditoria/verificar/", views.audit_verify, name="audit_verify"),
]
