"""Personas and a small organization for every test, built through the real actions."""

from __future__ import annotations

import datetime
import importlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client, TransactionTestCase
from django.utils import timezone
from PIL import Image

from pregonero.accounts.actions import set_roles
from pregonero.accounts.models import Role, User
from pregonero.content import actions as content
from pregonero.content.models import Piece, PieceFormat
from pregonero.content.workflow import PieceAction
from pregonero.core.models import (
    Audience,
    Channel,
    Dependency,
    NetworkKind,
    Organization,
)
from pregonero.intake import actions as intake
from pregonero.intake.models import Need, NeedSource
from pregonero.publishing.sandbox_server import SandboxServer, serve

CHECKS1 = {
    "timeliness": True,
    "veracity": True,
    "clear_inclusive": True,
    "institutional_image": True,
}
CHECKS2 = {
    "importance": True,
    "text_matches": True,
    "accessibility": True,
    "institutional_image": True,
}


# ---------------------------------------------------------------- SQLite flush


def _sqlite_audit_triggers(drop: bool) -> None:
    module = importlib.import_module(
        "pregonero.audit.migrations.0002_append_only_triggers"
    )
    with connection.cursor() as cursor:
        for statement in module.SQLITE_DROP if drop else module.SQLITE:
            cursor.execute(statement)


_original_teardown = TransactionTestCase._fixture_teardown


def _teardown_with_audit_maintenance(self: Any) -> None:
    # Emptying the database between transactional tests must delete audit rows,
    # which the append-only triggers refuse on SQLite (PostgreSQL uses TRUNCATE).
    if connection.vendor == "sqlite":
        _sqlite_audit_triggers(drop=True)
        try:
            _original_teardown(self)
        finally:
            _sqlite_audit_triggers(drop=False)
    else:
        _original_teardown(self)


TransactionTestCase._fixture_teardown = _teardown_with_audit_maintenance  # type: ignore[method-assign]


# ---------------------------------------------------------------- world


@dataclass
class World:
    org: Organization
    oac: Dependency
    dmv: Dependency
    dr: Dependency
    audiences: list[Audience]
    fb: Channel
    ig: Channel
    x: Channel
    web: Channel
    jefe: User
    writer: User
    designer: User
    strategist: User
    liaison: User
    director: User
    auditor: User
    admin: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


def make_user(
    org: Organization, username: str, roles: list[str], dependency: Dependency
) -> User:
    user = User.objects.create_user(
        username=username,
        password="clave-de-prueba-123",
        email=f"{username}@example.org",
        first_name=username.capitalize(),
        last_name="Prueba",
        organization=org,
        dependency=dependency,
        position=f"Cargo de {username}",
    )
    from django.db import transaction

    with transaction.atomic():
        set_roles(None, user, roles)
    if {"jefe", "admin"} & set(roles):
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        TOTP.activate(user, generate_totp_secret())
    return user


def grant(user: User, *roles: str) -> None:
    """Replace a persona's roles (through the audited action) for one test."""
    from django.db import transaction

    with transaction.atomic():
        set_roles(None, user, list(roles))


def make_world(slug: str = "cvp", prefix: str = "") -> World:
    org = Organization.objects.create(
        slug=slug, name=f"Entidad {slug}", short_name=slug.upper()
    )
    oac = Dependency.objects.create(
        organization=org,
        name="Oficina Asesora de Comunicaciones",
        is_communications_office=True,
    )
    dmv = Dependency.objects.create(
        organization=org, name="Dirección de Mejoramiento de Vivienda"
    )
    dr = Dependency.objects.create(
        organization=org, name="Dirección de Reasentamientos"
    )
    audiences = [
        Audience.objects.create(
            organization=org, name="Hogares en zonas de alto riesgo"
        ),
        Audience.objects.create(organization=org, name="Líderes comunitarios"),
    ]

    def channel(name: str, imitates: str, kind: str = NetworkKind.SANDBOX) -> Channel:
        return Channel.objects.create(
            organization=org,
            kind=kind,
            imitates=imitates,
            name=name,
            handle=f"@{imitates}_{slug}",
            is_fictitious=True,
        )

    return World(
        org=org,
        oac=oac,
        dmv=dmv,
        dr=dr,
        audiences=audiences,
        fb=channel("Facebook práctica", "facebook"),
        ig=channel("Instagram práctica", "instagram"),
        x=channel("X práctica", "x"),
        web=channel("Portal web", "website", kind=NetworkKind.MANUAL),
        jefe=make_user(org, f"{prefix}jefe", [Role.JEFE], oac),
        writer=make_user(org, f"{prefix}redactor", [Role.PROFESIONAL], oac),
        designer=make_user(org, f"{prefix}disenadora", [Role.PROFESIONAL], oac),
        strategist=make_user(org, f"{prefix}estrategia", [Role.ESTRATEGIA], oac),
        liaison=make_user(org, f"{prefix}enlace", [Role.ENLACE], dmv),
        director=make_user(org, f"{prefix}directivo", [Role.DIRECTIVO], dr),
        auditor=make_user(org, f"{prefix}auditor", [Role.AUDITOR], oac),
        admin=make_user(org, f"{prefix}admin", [Role.ADMIN], oac),
    )


@pytest.fixture
def world(db: Any) -> World:
    return make_world()


@pytest.fixture
def other_world(db: Any) -> World:
    return make_world("otra", prefix="otra_")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The practice networks over real HTTP on 127.0.0.1, for the whole session."""
    server = serve()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The running sandbox with a clean state for each test."""
    sandbox_server.state.reset()
    yield sandbox_server
    sandbox_server.state.reset()


# ---------------------------------------------------------------- builders


def png_bytes(
    size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30)
) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def jpeg_bytes(
    size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (30, 90, 160)
) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    buffer.seek(0)
    return buffer


def make_need(w: World, user: User | None = None, **kw: Any) -> Need:
    data = {
        "title": "Jornada de titulación en San Cristóbal",
        "description": "Convocar a las familias a la entrega de títulos.",
        "source": NeedSource.COMMITTEE,
        "dependency": w.dmv,
        **kw,
    }
    return intake.register_need(user or w.jefe, intake.NeedData(**data))


def make_piece(w: World, *, channels: list[Channel] | None = None, **kw: Any) -> Piece:
    data = content.PieceData(
        title=kw.pop("title", "Plan Terrazas: inscripciones abiertas"),
        format=kw.pop("format", PieceFormat.IMAGE),
        channels=channels if channels is not None else [w.fb, w.x],
        writer=w.writer,
        designer=w.designer,
        dependency=w.dmv,
        **kw,
    )
    return content.create_piece(w.writer, data)


def write(
    w: World,
    piece: Piece,
    body: str = "Texto de la pieza.",
    base: int | None = None,
    **kw: Any,
) -> Any:
    piece.refresh_from_db()
    if base is None and piece.latest_text_version_id:
        base = piece.latest_text_version.number  # type: ignore[union-attr]
    return content.save_text_version(
        w.writer,
        piece,
        base_version=base,
        body=body,
        sources=kw.pop("sources", [("Dirección de Mejoramiento de Vivienda", "")]),
        **kw,
    )


def to_design(w: World, piece: Piece) -> Piece:
    write(w, piece, "Texto aprobado para diseñar.")
    content.submit_text(w.writer, piece)
    content.decide_text(w.jefe, piece, PieceAction.APPROVE_TEXT, checklist=CHECKS1)
    piece.refresh_from_db()
    return piece


def add_image(w: World, piece: Piece, alt: str = "Familia frente a su casa.") -> Any:
    return content.add_asset(
        w.designer, piece, jpeg_bytes(), original_name="pieza.jpg", alt_text=alt
    )


def approved_piece(w: World, **kw: Any) -> Piece:
    """A piece through both control points, sealed with its visto bueno."""
    piece = to_design(w, make_piece(w, **kw))
    add_image(w, piece)
    content.submit_design(w.designer, piece)
    content.decide_design(w.jefe, piece, PieceAction.APPROVE_DESIGN, checklist=CHECKS2)
    piece.refresh_from_db()
    return piece


def soon(minutes: int = 10) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)
