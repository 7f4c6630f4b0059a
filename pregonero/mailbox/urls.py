from django.urls import path

from . import views

app_name = "mailbox"

urlpatterns = [
    path("", views.status, name="status"),
    path("<int:pk>/leer/", views.read_now, name="read_now"),
]
