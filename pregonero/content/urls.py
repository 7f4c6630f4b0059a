from django.urls import path

from . import views

app_name = "content"

urlpatterns = [
    path("", views.piece_list, name="piece_list"),
    path("nueva/", views.piece_create, name="piece_create"),
    path("<int:pk>/", views.piece_detail, name="piece_detail"),
    path("<int:pk>/editar/", views.piece_edit, name="piece_edit"),
    path("<int:pk>/texto/", views.piece_text, name="piece_text"),
    path("<int:pk>/texto/revision/", views.piece_text_check, name="piece_text_check"),
    path(
        "<int:pk>/borradores/<int:draft_id>/descartar/",
        views.draft_dismiss,
        name="draft_dismiss",
    ),
    path("<int:pk>/diseno/", views.piece_design, name="piece_design"),
    path("<int:pk>/revision/", views.piece_review, name="piece_review"),
    path("<int:pk>/decidir/", views.piece_decide, name="piece_decide"),
    path("<int:pk>/accion/", views.piece_transition, name="piece_transition"),
    path(
        "<int:pk>/archivos/<int:asset_id>/vista/",
        views.asset_preview,
        name="asset_preview",
    ),
    path(
        "<int:pk>/archivos/<int:asset_id>/", views.asset_download, name="asset_download"
    ),
    path("<int:pk>/evidencia.zip", views.evidence_package, name="evidence_package"),
]
