"""The administration site: the Administrador manages their own organization only."""

from __future__ import annotations

from pregonero.accounts.models import User
from pregonero.audit.models import AuditEvent
from pregonero.core.models import Channel

from .conftest import World


def test_only_administrators_enter(world: World) -> None:
    assert world.client(world.admin).get("/admin/").status_code == 200
    for persona in (world.jefe, world.writer, world.auditor):
        assert (
            world.client(persona).get("/admin/").status_code == 302
        )  # to the admin login


def test_admin_creates_a_user_with_roles_in_their_organization(
    world: World, other_world: World
) -> None:
    client = world.client(world.admin)
    response = client.post("/admin/accounts/user/add/", {
        "username": "nueva", "password": "Clave-larga-2026!", "first_name": "Nueva",
        "last_name": "Persona", "email": "nueva@example.org", "position": "Profesional",
        "dependency": world.oac.pk, "roles": ["profesional"],
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="nueva")
    assert user.organization == world.org and user.roles == frozenset({"profesional"})
    assert user.check_password("Clave-larga-2026!")
    assert AuditEvent.objects.filter(
        action="accounts.user.created", target_id=str(user.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        action="accounts.user.roles_changed", target_id=str(user.pk)
    ).exists()
    # Another organization's people are not listed nor reachable.
    listing = client.get("/admin/accounts/user/").content.decode()
    assert "nueva" in listing and other_world.writer.username not in listing
    assert client.get(
        f"/admin/accounts/user/{other_world.writer.pk}/change/"
    ).status_code in (302, 404)


def test_admin_edits_a_channel_with_an_audit_event(world: World) -> None:
    client = world.client(world.admin)
    response = client.post(f"/admin/core/channel/{world.fb.pk}/change/", {
        "kind": "sandbox", "name": "Facebook CVP", "handle": "@cvp", "url": "", "imitates": "facebook",
        "owner_dependency": world.oac.pk, "is_fictitious": "on", "active": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Channel.objects.get(pk=world.fb.pk).name == "Facebook CVP"
    event = AuditEvent.objects.get(action="core.channel.updated")
    assert event.actor == world.admin and "name" in event.data["after"]
    # Records of the procedure cannot be added or deleted from the admin.
    assert client.get("/admin/content/piece/add/").status_code == 403
    assert client.get(f"/admin/core/channel/{world.fb.pk}/delete/").status_code == 403
