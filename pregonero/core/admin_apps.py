from django.contrib.admin.apps import AdminConfig


class PregoneroAdminConfig(AdminConfig):
    """Django's admin with Pregonero's site: only administrators get in."""

    default_site = "pregonero.core.adminsite.PregoneroAdminSite"
