"""Complaints by e-mail from an IMAP mailbox, against a real IMAP server: a private Dovecot
(Debian's dovecot-imapd, /usr/sbin/dovecot) started for this session on a free port of
127.0.0.1, with one user and a maildir in a temporary folder. `poll_imap` is called directly
(no broker). Skipped when Dovecot is missing, unless HELPDESK_E2E_REQUIRED=1 (CI), where that
is a failure."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection, connections

from complainants import tasks
from complainants.models import InboundEmail, InboundOutcome
from complaints.models import Complaint

EMAILS = Path(__file__).parent / "emails"
DOVECOT = os.environ.get("HELPDESK_DOVECOT", "/usr/sbin/dovecot")
REQUIRED = os.environ.get("HELPDESK_E2E_REQUIRED") == "1"
USER = "helpdesk"
PASSWORD = "p@ss/w%rd #1"  # percent-encoded in the URL


def eml(name: str) -> bytes:
    return (EMAILS / name).read_bytes()


# ------------------------------------------------------------------------------- Dovecot
@dataclass(frozen=True)
class ImapServer:
    port: int
    log: Path

    def url(self, mailbox: str) -> str:
        return f"imap://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{quote(mailbox)}"

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        try:
            client.login(USER, PASSWORD)
            yield client
        finally:
            client.logout()

    def new_mailbox(self, *messages: bytes, seen: tuple[bytes, ...] = (), name: str = "") -> str:
        """A mailbox of its own for one test, holding `messages` (unseen) and `seen`."""
        name = f"{name or 'Complaints'}-{uuid.uuid4().hex[:8]}"
        with self.client() as client:
            assert client.create(tasks.mailbox_argument(name))[0] == "OK"
            for raw in messages:
                assert client.append(tasks.mailbox_argument(name), None, None, raw)[0] == "OK"
            for raw in seen:
                assert client.append(tasks.mailbox_argument(name), r"(\Seen)", None, raw)[0] == "OK"
        return name

    def unseen(self, mailbox: str) -> int:
        with self.client() as client:
            client.select(tasks.mailbox_argument(mailbox), readonly=True)
            _status, data = client.uid("SEARCH", "UNSEEN")
            return len(data[0].split())

    def total(self, mailbox: str) -> int:
        with self.client() as client:
            _status, data = client.select(tasks.mailbox_argument(mailbox), readonly=True)
            return int(data[0])


def _account(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise LookupError(f"none of the users {names} exists")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(root: Path, port: int) -> str:
    """Everything in `root`: no system configuration, no SSL, plain login for one user. As root,
    Dovecot runs its login and mail processes as unprivileged users (the package's dovenull and
    dovecot, else nobody); otherwise everything runs as the current user."""
    if os.geteuid() == 0:
        login, internal = _account("dovenull", "nobody"), _account("dovecot", "nobody")
    else:
        login = internal = pwd.getpwuid(os.getuid())
    mail_root = root / "mail"
    mail_root.mkdir()
    os.chown(mail_root, internal.pw_uid, internal.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal.pw_name}
default_internal_group = {grp.getgrgid(internal.pw_gid).gr_name}
default_login_user = {login.pw_name}
first_valid_uid = 1
mail_location = maildir:{mail_root}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={internal.pw_uid} gid={internal.pw_gid} home={mail_root}/%u
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_for_greeting(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.2)
    text = log.read_text() if log.exists() else "(no log)"
    pytest.fail(f"Dovecot did not start on port {port}:\n{text[-3000:]}")


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        message = f"Dovecot not found at {DOVECOT} (apt-get install dovecot-imapd)"
        if REQUIRED:
            pytest.fail(f"{message} but HELPDESK_E2E_REQUIRED=1")
        pytest.skip(message)
    # not pytest's tmp_path: its folders are private to us, and Dovecot's mail processes run
    # as another user when the tests run as root
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port))
    log = root / "dovecot.log"
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=(root / "stderr.log").open("wb")
    )
    try:
        _wait_for_greeting(port, process, log)
        yield ImapServer(port=port, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox_settings(settings, tmp_path, office):
    """E-mail intake into `office`; files to a temporary folder."""
    settings.HELPDESK_PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    settings.HELPDESK_SITE_URL = "https://helpdesk.example.com"
    settings.DEFAULT_FROM_EMAIL = "helpdesk@helpdesk.example.com"
    settings.HELPDESK_EMAIL_INTAKE_OFFICE = office.code
    cache.delete(tasks.LOCK_NAME)
    return settings


# ------------------------------------------------------------------------------- tests
def test_poll_imap_does_nothing_without_a_mailbox(settings):
    settings.HELPDESK_IMAP_URL = ""
    assert tasks.poll_imap() == {}


def test_the_mailbox_url_is_percent_decoded():
    box = tasks.parse_imap_url(
        "imaps://complaints%40example.com:p%40ss%2Fw%25rd%20%231@imap.example.com/%E6%8A%95%E8%AF%89"
    )

    assert (box.ssl, box.host, box.port) == (True, "imap.example.com", 993)
    assert (box.user, box.password, box.name) == ("complaints@example.com", "p@ss/w%rd #1", "投诉")
    assert tasks.parse_imap_url("imap://u:p@localhost").port == 143
    assert tasks.parse_imap_url("imap://u:p@localhost").name == "INBOX"
    assert tasks.mailbox_argument("投诉 & Co") == '"&YpWLyQ- &- Co"'  # modified UTF-7, quoted
    with pytest.raises(ValueError):
        tasks.parse_imap_url("pop3://u:p@localhost/")


@pytest.mark.django_db
def test_poll_imap_takes_in_the_unseen_messages_once_and_flags_them_seen(imap_server, mailbox_settings):
    # Given a mailbox (with a Chinese name) of two complaints, an automatic reply, and a message
    # someone already read
    mailbox = imap_server.new_mailbox(
        eml("gbk_subject.eml"),
        eml("utf8_qp_photo.eml"),
        eml("auto_reply.eml"),
        seen=(eml("gb2312_mislabelled.eml"),),
        name="投诉",
    )
    mailbox_settings.HELPDESK_IMAP_URL = imap_server.url(mailbox)
    # When the poller runs
    counts = tasks.poll_imap()
    # Then the two complaints are made, the reply is ignored, all three are flagged \Seen
    assert counts == {"created": 2, "ignored": 1, "left": 0}
    subjects = set(Complaint.objects.values_list("subject", flat=True))
    assert subjects == {"楼上卫生间漏水一周无人处理", "车库积水"}
    assert Complaint.objects.get(subject="车库积水").attachments.count() == 1
    assert imap_server.unseen(mailbox) == 0
    assert imap_server.total(mailbox) == 4  # nothing is deleted
    assert not InboundEmail.objects.filter(message_id="<gb2312-0604-2001@example.net>").exists()
    # and a second run changes nothing
    assert tasks.poll_imap() == {"left": 0}
    assert Complaint.objects.count() == 2 and InboundEmail.objects.count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_processed_once_even_if_the_poller_crashes_mid_way(imap_server, mailbox_settings, monkeypatch):
    # Given two messages, and a poller that dies after taking in the first, before flagging it
    mailbox = imap_server.new_mailbox(eml("gbk_subject.eml"), eml("html_only_no_message_id.eml"))
    mailbox_settings.HELPDESK_IMAP_URL = imap_server.url(mailbox)
    mark_seen = tasks.mark_seen

    def crash(client, uid):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(tasks, "mark_seen", crash)
    with pytest.raises(RuntimeError, match="worker killed"):
        tasks.poll_imap()
    # Then the first complaint is committed, and both messages are still unseen
    assert Complaint.objects.count() == 1
    assert InboundEmail.objects.get().outcome == InboundOutcome.CREATED
    assert imap_server.unseen(mailbox) == 2
    # When the next run comes
    monkeypatch.setattr(tasks, "mark_seen", mark_seen)
    counts = tasks.poll_imap()
    # Then the first message is found taken in (and only flagged), the second is taken in
    assert counts == {"duplicate": 1, "created": 1, "left": 0}
    assert Complaint.objects.count() == 2
    assert imap_server.unseen(mailbox) == 0
    assert tasks.poll_imap() == {"left": 0}


@pytest.mark.django_db
def test_a_database_error_leaves_the_message_unseen(imap_server, mailbox_settings, monkeypatch):
    from django.db import OperationalError

    mailbox = imap_server.new_mailbox(eml("gbk_subject.eml"))
    mailbox_settings.HELPDESK_IMAP_URL = imap_server.url(mailbox)

    def fail(raw):
        raise OperationalError("the database is gone")

    monkeypatch.setattr(tasks, "take_in", fail)
    with pytest.raises(OperationalError):
        tasks.poll_imap()

    assert imap_server.unseen(mailbox) == 1


@pytest.mark.django_db
def test_a_run_takes_at_most_its_batch_and_leaves_the_rest(imap_server, mailbox_settings):
    mailbox = imap_server.new_mailbox(eml("gbk_subject.eml"), eml("utf8_qp_photo.eml"), eml("bounce.eml"))

    counts = tasks.poll_mailbox(imap_server.url(mailbox), limit=2)

    assert counts == {"created": 2, "left": 1}
    assert imap_server.unseen(mailbox) == 1


@contextmanager
def _lock_held_by_another_poller() -> Iterator[None]:
    if connection.vendor == "postgresql":
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [tasks.LOCK_KEY])
            yield
        finally:
            other.close()
    else:
        assert cache.add(tasks.LOCK_NAME, 1)
        try:
            yield
        finally:
            cache.delete(tasks.LOCK_NAME)


@pytest.mark.django_db
def test_two_pollers_never_run_at_once(imap_server, mailbox_settings):
    mailbox = imap_server.new_mailbox(eml("gbk_subject.eml"))
    mailbox_settings.HELPDESK_IMAP_URL = imap_server.url(mailbox)

    with _lock_held_by_another_poller():
        assert tasks.poll_imap() == {"skipped_locked": 1}
    assert imap_server.unseen(mailbox) == 1 and not Complaint.objects.exists()

    assert tasks.poll_imap() == {"created": 1, "left": 0}


@pytest.mark.django_db
def test_a_wrong_password_is_an_error_not_silence(imap_server, mailbox_settings):
    mailbox_settings.HELPDESK_IMAP_URL = f"imap://{USER}:wrong@127.0.0.1:{imap_server.port}/INBOX"

    with pytest.raises(imaplib.IMAP4.error):
        tasks.poll_imap()
