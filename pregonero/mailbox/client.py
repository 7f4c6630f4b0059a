"""The IMAP side of the mailbox (``imap-tools``); it never touches the ORM.

Messages are read with ``BODY.PEEK[]`` (never marked \\Seen by Pregonero),
marked with the keyword ``$Pregonero`` once stored, and never deleted or moved.
"""

from __future__ import annotations

import datetime
import imaplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

KEYWORD = "$Pregonero"
TIMEOUT = 30.0


@dataclass(frozen=True)
class RawMessage:
    uid: int
    raw: bytes
    internal_date: datetime.datetime | None


class ImapSession:
    """One logged-in session on the mailbox's folder."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        username: str,
        password: str,
        folder: str,
    ) -> None:
        box: BaseMailBox
        if security == "imaps":
            box = MailBox(
                host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
            )
        elif security == "starttls":
            box = MailBoxStartTls(
                host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
            )
        else:
            box = MailBoxUnencrypted(host, port, timeout=TIMEOUT)
        self.box = box
        self.folder = folder
        try:
            box.login(username, password, initial_folder=folder)
        except BaseException:
            self.close()
            raise

    def uidvalidity(self) -> int:
        return int(self.box.folder.status(self.folder, ["UIDVALIDITY"])["UIDVALIDITY"])

    def unmarked_uids(self) -> list[int]:
        """UIDs of the messages Pregonero has not marked, oldest first."""
        return sorted(int(u) for u in self.box.uids(f"NOT KEYWORD {KEYWORD}"))

    def fetch(self, uid: int) -> RawMessage | None:
        """The whole message, without setting \\Seen (None if it is gone)."""
        status, data = self.box.client.uid(
            "FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])"
        )
        if status != "OK":
            raise imaplib.IMAP4.error(f"FETCH {uid}: {status} {data!r}")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                header, raw = part
                return RawMessage(uid, bytes(raw), _internal_date(bytes(header)))
        return None

    def mark(self, uids: list[int]) -> None:
        if uids:
            self.box.flag([str(u) for u in uids], KEYWORD, True)

    def close(self) -> None:
        try:
            self.box.logout()
        except (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError):  # gone already
            sock: Any = getattr(getattr(self.box, "client", None), "sock", None)
            if sock is not None:
                sock.close()

    def messages(self, uids: list[int]) -> Iterator[RawMessage]:
        for uid in uids:
            message = self.fetch(uid)
            if message is not None:
                yield message


def _internal_date(header: bytes) -> datetime.datetime | None:
    parts = imaplib.Internaldate2tuple(header)
    if parts is None:
        return None
    import time

    return datetime.datetime.fromtimestamp(time.mktime(parts), tz=datetime.UTC)
