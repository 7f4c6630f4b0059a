from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("", views.need_list, name="need_list"),
    path("nueva/", views.need_create, name="need_create"),
    path("importar-correo/", views.need_import_email, name="need_import_email"),
    path("<int:pk>/", views.need_detail, name="need_detail"),
    path("<int:pk>/clasificar/", views.need_triage, name="need_triage"),
    path("<int:pk>/adjuntar/", views.need_attach, name="need_attach"),
    path(
        "<int:pk>/adjuntos/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
