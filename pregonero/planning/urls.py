from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("reuniones/", views.meeting_list, name="meeting_list"),
    path("reuniones/nueva/", views.meeting_edit, name="meeting_create"),
    path("reuniones/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("reuniones/<int:pk>/editar/", views.meeting_edit, name="meeting_edit"),
    path("reuniones/<int:pk>/expedir/", views.meeting_issue, name="meeting_issue"),
    path("reuniones/<int:pk>/reabrir/", views.meeting_reopen, name="meeting_reopen"),
    path(
        "reuniones/<int:pk>/documentos/",
        views.meeting_document,
        name="meeting_document",
    ),
    path(
        "reuniones/<int:pk>/documentos/<int:doc_id>/",
        views.meeting_document_download,
        name="meeting_document_download",
    ),
    path(
        "reuniones/<int:pk>/acta-v<int:version>.<str:fmt>",
        views.acta_download,
        name="acta_download",
    ),
    path("plan/", views.plan_list, name="plan_list"),
    path("plan/nuevo/", views.plan_item_edit, name="plan_item_create"),
    path("plan/<int:pk>/", views.plan_item_detail, name="plan_item_detail"),
    path("plan/<int:pk>/editar/", views.plan_item_edit, name="plan_item_edit"),
    path("calendario/", views.calendar, name="calendar"),
    path("calendario/<str:token>.ics", views.ical_feed, name="ical_feed"),
    path("red-distrital/", views.joint_action_list, name="joint_action_list"),
    path("red-distrital/nueva/", views.joint_action_edit, name="joint_action_create"),
    path(
        "red-distrital/<int:pk>/", views.joint_action_detail, name="joint_action_detail"
    ),
    path(
        "red-distrital/<int:pk>/editar/",
        views.joint_action_edit,
        name="joint_action_edit",
    ),
    path(
        "red-distrital/<int:pk>/evidencias/<int:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
]
