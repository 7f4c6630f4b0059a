"""The institutional mailbox against a real IMAP server (Dovecot on 127.0.0.1,
started by the tests): rules, attachments, re-runs, connections dropped
mid-fetch and before the mark, a UIDVALIDITY change, a wrong password, the
encrypted password, the scheduler hook and the "Leer el buzón ahora" button."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from pregonero.audit.models import AuditEvent
from pregonero.inbox.models import InboundItem
from pregonero.intake.models import Need, NeedAttachment
from pregonero.mailbox.actions import poll, poll_due
from pregonero.mailbox.admin import MailboxForm
from pregonero.mailbox.models import (
    Mailbox,
    MailboxRule,
    MessageAttachment,
    Outcome,
    ProcessedMessage,
    RuleAction,
    Security,
)
from tests.conftest import World, png_bytes

from .imap_server import Dovecot, DroppingProxy, available

pytestmark = pytest.mark.skipif(
    not available(),
    reason=(
        "Falta Dovecot (apt-get install dovecot-imapd; .ci/run lo instala): "
        "las pruebas del buzón usan un servidor IMAP real."
    ),
)

PASSWORD = "clave-del-buzon-7"
_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    # Not under pytest's private (0700) temp dir: Dovecot's own processes
    # (another user when the tests run as root) read the passwd-file and mail.
    root = Path(tempfile.mkdtemp(prefix="pregonero-dovecot-"))
    server = Dovecot(root)
    # Every account up front: Dovecot re-reads a changed passwd-file by its
    # modification time, which two writes in one second do not change.
    for n in range(1, 201):
        server.add_user(f"redes{n}", PASSWORD)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def account(dovecot: Dovecot) -> str:
    return f"redes{next(_users)}"


@pytest.fixture
def mailbox(world: World, dovecot: Dovecot, account: str) -> Mailbox:
    box = Mailbox(
        organization=world.org,
        name="redessociales@cvp",
        host="127.0.0.1",
        port=dovecot.port,
        security=Security.NONE,
        username=account,
        folder="INBOX",
        default_action=RuleAction.ITEM,
        default_dependency=world.dmv,
        registered_as=world.writer,
    )
    box.set_password(PASSWORD)
    box.save()
    MailboxRule.objects.create(
        mailbox=box,
        position=1,
        sender="@bogota.gov.co, prensa@cvp.gov.co",
        subject_keywords="publicar, difusión",
        action=RuleAction.NEED,
        dependency=world.dr,
    )
    MailboxRule.objects.create(
        mailbox=box, position=2, body_keywords="suscríbase", action=RuleAction.IGNORE
    )
    return box


def mail(
    subject: str,
    sender: str = "vecina@example.org",
    body: str = "Buenas tardes.",
    attachment: bytes | None = None,
    n: list[int] = [0],  # noqa: B006 - a counter for unique Message-IDs
) -> bytes:
    n[0] += 1
    message = EmailMessage()
    message["From"] = f"Remitente <{sender}>"
    message["To"] = "redessociales@cvp.gov.co"
    message["Subject"] = subject
    message["Date"] = "Mon, 16 Mar 2026 09:30:00 -0500"
    message["Message-ID"] = f"<m{n[0]}-{time.monotonic_ns()}@example.org>"
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="image", subtype="png", filename="afiche.png"
        )
    return message.as_bytes()


def deliver(
    dovecot: Dovecot, account: str, *raws: bytes, folder: str = "INBOX"
) -> None:
    imap = dovecot.client(account, PASSWORD)
    for raw in raws:
        status, _ = imap.append(folder, None, None, raw)
        assert status == "OK"
    imap.logout()


def server_flags(dovecot: Dovecot, account: str) -> list[str]:
    """Each message's flags on the server (the messages are all still there)."""
    imap = dovecot.client(account, PASSWORD)
    imap.select("INBOX", readonly=True)
    _status, data = imap.uid("FETCH", "1:*", "(FLAGS)")
    imap.logout()
    return [d.decode() for d in data if isinstance(d, bytes)]


def counts() -> tuple[int, int, int]:
    return (
        Need.objects.count(),
        InboundItem.objects.count(),
        ProcessedMessage.objects.count(),
    )


# ---------------------------------------------------------------- rules and attachments


def test_rules_make_a_need_an_item_or_nothing_and_attachments_are_kept(
    world: World, dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(
        dovecot,
        account,
        mail(
            "Favor publicar la feria de vivienda",
            sender="comunicaciones@sdht.bogota.gov.co",
            body="Adjuntamos la pieza para difusión.",
            attachment=png_bytes().getvalue(),
        ),
        mail(
            "Derecho de petición: subsidio",
            body="Solicito información de mi subsidio.",
            attachment=png_bytes().getvalue(),
        ),
        mail("Boletín", body="Suscríbase a nuestro boletín."),
    )
    result = poll(mailbox)
    assert result.error == "" and (result.read, result.created, result.marked) == (
        3,
        2,
        3,
    )

    need = Need.objects.get()
    assert need.dependency == world.dr
    assert need.source == "mailbox"
    assert need.title == "Favor publicar la feria de vivienda"
    assert need.created_by == world.writer
    names = sorted(
        NeedAttachment.objects.filter(need=need).values_list("original_name", flat=True)
    )
    assert names == ["afiche.png", "correo-1.eml"]

    item = InboundItem.objects.get()
    assert item.kind == "email" and item.channel is None
    assert item.author_handle == "vecina@example.org"
    assert "Solicito información" in item.text
    kept = ProcessedMessage.objects.get(outcome=Outcome.ITEM).attachments.all()
    assert sorted(a.original_name for a in kept) == ["afiche.png", "correo-2.eml"]
    assert all(a.sha256 and a.size for a in kept)
    assert isinstance(kept[0], MessageAttachment)

    assert ProcessedMessage.objects.filter(outcome=Outcome.IGNORED).count() == 1
    flags = server_flags(dovecot, account)
    assert len(flags) == 3  # nothing deleted or moved
    assert all("$Pregonero" in f and "\\Seen" not in f for f in flags)
    assert AuditEvent.objects.filter(action="intake.need.imported_email").count() == 1
    assert AuditEvent.objects.filter(action="inbox.item.received").count() == 1


def test_a_rerun_reads_nothing_again(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(dovecot, account, mail("Consulta 1"), mail("Consulta 2"))
    assert poll(mailbox).created == 2
    again = poll(mailbox)
    assert (again.read, again.created, again.error) == (0, 0, "")
    deliver(dovecot, account, mail("Consulta 3"))
    assert poll(mailbox).created == 1
    assert counts() == (0, 3, 3)


# ---------------------------------------------------------------- dropped connections


def test_connection_dropped_between_store_and_mark_creates_nothing_twice(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(dovecot, account, mail("Primera"), mail("Segunda"))
    proxy = DroppingProxy(
        dovecot.port,
        drop=lambda direction, chunk: direction == "up" and b"STORE" in chunk,
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(port=proxy.port)
    mailbox.refresh_from_db()
    result = poll(mailbox)
    proxy.close()
    # The first message was stored, then the connection died before its mark.
    assert result.error.startswith("Se perdió la conexión con el servidor de correo")
    assert counts() == (0, 1, 1)
    assert not any("$Pregonero" in f for f in server_flags(dovecot, account))

    Mailbox.objects.filter(pk=mailbox.pk).update(port=dovecot.port)
    mailbox.refresh_from_db()
    result = poll(mailbox)
    assert (result.error, result.read, result.created, result.marked) == ("", 1, 1, 2)
    assert counts() == (0, 2, 2)
    assert all("$Pregonero" in f for f in server_flags(dovecot, account))
    mailbox.refresh_from_db()
    assert mailbox.failures == 0 and mailbox.last_error == ""


def test_connection_dropped_in_the_middle_of_a_fetch_loses_nothing(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    big = "Texto largo del correo. " * 4000
    deliver(dovecot, account, mail("Con adjunto grande", body=big))
    proxy = DroppingProxy(
        dovecot.port,
        drop=lambda direction, chunk: direction == "down" and b"BODY[]" in chunk,
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(port=proxy.port)
    mailbox.refresh_from_db()
    result = poll(mailbox)
    proxy.close()
    assert proxy.dropped
    assert result.error and result.created == 0
    assert counts() == (0, 0, 0)
    mailbox.refresh_from_db()
    assert mailbox.failures == 1 and "conexión" in mailbox.last_error
    assert AuditEvent.objects.filter(action="mailbox.read.failed").count() == 1

    Mailbox.objects.filter(pk=mailbox.pk).update(port=dovecot.port)
    mailbox.refresh_from_db()
    assert poll(mailbox).created == 1
    assert poll(mailbox).created == 0
    assert counts() == (0, 1, 1)
    assert InboundItem.objects.get().text.count("Texto largo") == 4000


def test_a_server_that_is_down_is_an_error_and_loses_nothing(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(dovecot, account, mail("Mientras tanto"))
    proxy = DroppingProxy(dovecot.port, drop=lambda direction, chunk: True)
    Mailbox.objects.filter(pk=mailbox.pk).update(port=proxy.port)
    mailbox.refresh_from_db()
    assert poll(mailbox).error
    proxy.close()
    Mailbox.objects.filter(pk=mailbox.pk).update(port=dovecot.port)
    mailbox.refresh_from_db()
    assert poll(mailbox).created == 1


# ---------------------------------------------------------------- UIDVALIDITY


def test_a_new_uidvalidity_does_not_register_the_same_messages_again(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    raws = [mail("Uno"), mail("Dos")]
    imap = dovecot.client(account, PASSWORD)
    imap.create("Entrada")
    imap.logout()
    deliver(dovecot, account, *raws, folder="Entrada")
    Mailbox.objects.filter(pk=mailbox.pk).update(folder="Entrada")
    mailbox.refresh_from_db()
    assert poll(mailbox).created == 2
    first = set(ProcessedMessage.objects.values_list("uidvalidity", flat=True))

    # The folder is rebuilt: same messages, new UIDVALIDITY, no keywords.
    time.sleep(1.1)  # Dovecot's UIDVALIDITY is a timestamp
    imap = dovecot.client(account, PASSWORD)
    assert imap.delete("Entrada")[0] == "OK"
    assert imap.create("Entrada")[0] == "OK"
    imap.logout()
    deliver(dovecot, account, *raws, mail("Tres"), folder="Entrada")

    result = poll(mailbox)
    assert (result.error, result.read, result.created) == ("", 3, 1)
    assert InboundItem.objects.count() == 3
    rows = ProcessedMessage.objects.exclude(uidvalidity__in=first)
    assert rows.count() == 3
    assert rows.filter(detail__startswith="Ya se había leído").count() == 2
    assert poll(mailbox).read == 0


# ---------------------------------------------------------------- failures and secrets


def test_a_wrong_password_is_shown_in_spanish_and_loses_nothing(
    world: World, dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(dovecot, account, mail("Esperando"))
    mailbox.set_password("otra-clave")
    mailbox.save()
    result = poll(mailbox)
    assert result.error.startswith(
        "El servidor de correo rechazó el usuario o la contraseña del buzón"
    )
    assert counts() == (0, 0, 0)
    page = world.client(world.writer).get(reverse("mailbox:status")).content.decode()
    assert "rechazó el usuario o la contraseña" in page

    mailbox.set_password(PASSWORD)
    mailbox.save()
    assert poll(mailbox).created == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_success_at is not None


def test_the_password_is_not_readable_in_the_database(
    world: World, mailbox: Mailbox
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password_encrypted FROM mailbox_mailbox WHERE id = %s", [mailbox.pk]
        )
        stored = cursor.fetchone()[0]
    assert PASSWORD not in stored and stored.startswith("gAAAA")
    assert Mailbox.objects.get(pk=mailbox.pk).get_password() == PASSWORD

    form = MailboxForm(
        {
            "name": mailbox.name,
            "host": mailbox.host,
            "port": mailbox.port,
            "security": mailbox.security,
            "username": mailbox.username,
            "folder": "INBOX",
            "enabled": "on",
            "default_action": RuleAction.ITEM,
            "password": "",
        },
        instance=mailbox,
    )
    assert form.is_valid(), form.errors
    form.save()
    assert Mailbox.objects.get(pk=mailbox.pk).get_password() == PASSWORD
    form = MailboxForm({**form.data, "password": "nueva-clave-9"}, instance=mailbox)
    assert form.is_valid()
    form.save()
    stored = Mailbox.objects.get(pk=mailbox.pk).password_encrypted
    assert "nueva-clave-9" not in stored
    assert Mailbox.objects.get(pk=mailbox.pk).get_password() == "nueva-clave-9"


def test_a_message_that_cannot_be_registered_is_logged_as_rejected(
    world: World, dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(registered_as=None)
    mailbox.refresh_from_db()
    deliver(dovecot, account, mail("Publicar", sender="prensa@cvp.gov.co"))
    result = poll(mailbox)
    assert result.error == "" and result.created == 0
    rejected = ProcessedMessage.objects.get()
    assert rejected.outcome == Outcome.REJECTED
    assert "a nombre de quién" in rejected.detail
    page = world.client(world.writer).get(reverse("mailbox:status")).content.decode()
    assert "Correos que no se pudieron registrar" in page
    assert len(server_flags(dovecot, account)) == 1  # still on the server


# ---------------------------------------------------------------- scheduler and button


def test_the_scheduler_hands_each_due_mailbox_out_once(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    deliver(dovecot, account, mail("Programado"))
    assert poll_due() == 1  # the immediate task backend runs it
    assert InboundItem.objects.count() == 1
    assert poll_due() == 0  # read less than an interval ago


def test_read_now_button_is_audited_and_refused_to_a_liaison(
    world: World,
    dovecot: Dovecot,
    account: str,
    mailbox: Mailbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver(dovecot, account, mail("Ahora"))
    client = world.client(world.writer)
    page = client.get(reverse("mailbox:status")).content.decode()
    assert "Leer el buzón ahora" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mailbox:read_now", args=[mailbox.pk]))
    assert response.status_code == 302
    assert InboundItem.objects.count() == 1
    assert AuditEvent.objects.filter(action="mailbox.read.requested").count() == 1
    response = world.client(world.liaison).post(
        reverse("mailbox:read_now", args=[mailbox.pk])
    )
    assert response.status_code == 403


def test_a_malformed_message_does_not_stop_the_mailbox(
    dovecot: Dovecot, account: str, mailbox: Mailbox
) -> None:
    broken = (
        b"From: Vecino <vecino@example.org>\r\nSubject: Roto\r\n"
        b"Message-ID: <roto@example.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=no-existe-9\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nTexto \xe1\xe9\r\n"
    )
    deliver(dovecot, account, broken, mail("Sano"))
    result = poll(mailbox)
    assert result.error == "" and result.read == 2
    assert InboundItem.objects.count() == 1
    rejected = ProcessedMessage.objects.get(outcome=Outcome.REJECTED)
    assert rejected.detail == "Pregonero no pudo leer este correo (LookupError)."
    assert poll(mailbox).read == 0


def test_the_admin_form_asks_for_a_password_and_a_dependency(
    world: World, dovecot: Dovecot
) -> None:
    form = MailboxForm(
        {
            "name": "redessociales@cvp",
            "host": "127.0.0.1",
            "port": dovecot.port,
            "security": Security.NONE,
            "username": "redes200",
            "folder": "INBOX",
            "default_action": RuleAction.NEED,
        },
        instance=Mailbox(organization=world.org),
    )
    assert not form.is_valid()
    assert set(form.errors) == {"password", "default_dependency"}
    page = world.client(world.admin).get(reverse("admin:mailbox_mailbox_add"))
    assert page.status_code == 200
    assert 'type="password"' in page.content.decode()
