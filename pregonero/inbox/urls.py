from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.item_list, name="item_list"),
    path("nuevo/", views.item_create, name="item_create"),
    path("exportar/", views.export, name="export"),
    path("plantillas/", views.saved_replies, name="saved_replies"),
    path("plantillas/nueva/", views.saved_reply_edit, name="saved_reply_create"),
    path("plantillas/<int:pk>/", views.saved_reply_edit, name="saved_reply_edit"),
    path("canales/<int:pk>/leer/", views.read_now, name="read_now"),
    path("<int:pk>/", views.item_detail, name="item_detail"),
    path("<int:pk>/correo/<int:file_id>/", views.email_file, name="email_file"),
    path("<int:pk>/<slug:what>/", views.item_post, name="item_post"),
]
