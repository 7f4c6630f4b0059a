from django.urls import path

from . import channel_views, views

app_name = "publishing"

urlpatterns = [
    path("pieza/<int:pk>/", views.piece_publish, name="piece_publish"),
    path("<int:pk>/", views.publication_detail, name="publication_detail"),
    path("sandbox/", views.sandbox_index, name="sandbox_index"),
    path("sandbox/<int:channel_id>/", views.sandbox_feed, name="sandbox_feed"),
    path("medios/<str:token>/", views.media_link_view, name="media_link"),
    path("canales/", channel_views.channel_list, name="channel_list"),
    path("canales/nuevo/", channel_views.channel_edit, name="channel_create"),
    path("canales/vuelta/", channel_views.oauth_callback, name="oauth_callback"),
    path("canales/<int:pk>/", channel_views.channel_detail, name="channel_detail"),
    path("canales/<int:pk>/editar/", channel_views.channel_edit, name="channel_edit"),
    path(
        "canales/<int:pk>/conectar/",
        channel_views.channel_connect,
        name="channel_connect",
    ),
]
