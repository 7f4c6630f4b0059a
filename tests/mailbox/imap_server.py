"""A real IMAP server for the tests: Debian's Dovecot (``dovecot-imapd``),
started on 127.0.0.1 on a free port with a temporary configuration and a
passwd-file, plus a TCP proxy that can drop the connection at a chosen point."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.passwd = root / "passwd"
        self.passwd.write_text("")
        mail = root / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            # Dovecot refuses to run its login processes as root.
            internal, login, owner = "dovecot", "dovenull", "dovecot"
            mail.chmod(0o777)
            root.chmod(0o755)
            uid = pwd.getpwnam(owner).pw_uid
            gid = pwd.getpwnam(owner).pw_gid
        else:
            internal = login = pwd.getpwuid(os.getuid()).pw_name
            uid, gid = os.getuid(), os.getgid()
        self.config = root / "dovecot.conf"
        self.config.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{mail}/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        log = self.root / "dovecot.log"
        raise RuntimeError(
            "Dovecot no arrancó: " + (log.read_text() if log.exists() else "")
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def add_user(self, username: str, password: str) -> None:
        with self.passwd.open("a") as f:
            f.write(f"{username}:{{PLAIN}}{password}\n")

    def client(self, username: str, password: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(username, password)
        return imap


class DroppingProxy:
    """Forwards 127.0.0.1:port to the server; ``drop`` decides, for each chunk
    (direction, bytes), whether to cut the connection there (the chunk is not
    forwarded). One connection at a time is enough for the poller."""

    def __init__(
        self, target_port: int, drop: Callable[[str, bytes], bool] | None = None
    ) -> None:
        self.target_port = target_port
        self.drop = drop
        self.dropped = False
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for src, dst, direction in (
                (client, upstream, "up"),
                (upstream, client, "down"),
            ):
                threading.Thread(
                    target=self._pipe,
                    args=(src, dst, direction, client, upstream),
                    daemon=True,
                ).start()

    def _pipe(
        self,
        src: socket.socket,
        dst: socket.socket,
        direction: str,
        client: socket.socket,
        upstream: socket.socket,
    ) -> None:
        try:
            while chunk := src.recv(65536):
                if not self.dropped and self.drop and self.drop(direction, chunk):
                    self.dropped = True
                    for s in (client, upstream):
                        with contextlib.suppress(OSError):
                            s.shutdown(socket.SHUT_RDWR)
                        s.close()
                    return
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                with contextlib.suppress(OSError):
                    s.close()

    def close(self) -> None:
        self.listener.close()


def available() -> bool:
    return DOVECOT.exists() and shutil.which("doveconf", path="/usr/bin") is not None
