from django.urls import path

from . import views

app_name = "publishing"

urlpatterns = [
    path("pieza/<int:pk>/", views.piece_publish, name="piece_publish"),
    path("<int:pk>/", views.publication_detail, name="publication_detail"),
    path("sandbox/", views.sandbox_index, name="sandbox_index"),
    path("sandbox/<int:channel_id>/", views.sandbox_feed, name="sandbox_feed"),
    path("medios/<str:token>/", views.media_link_view, name="media_link"),
]
