"""Git remote URLs: which ones gigrouter hands to git, and how any URL is shown in a message.

A remote reaches git as a positional argument, so one that starts with ``-`` would be read as an
option (``--upload-pack=...`` runs a command), and git's ``<helper>::<address>`` form runs a remote
helper (``ext::sh -c ...`` runs a shell). Neither is a repository anyone publishes to: both are
refused here, before git sees them, and git itself is also told which transports it may use
(``git.environment``). Credentials never belong in a config URL: the config is rendered into Git.
"""

from __future__ import annotations

import re

SCHEMES = ("https", "http", "ssh", "git", "file")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
# scheme://<userinfo>@ where userinfo may itself hold '@' (an unescaped password): everything up
# to the last '@' before the host's first '/'.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*(?:@[^/\s@]*)*@")
# A password holding an unescaped '/' (base64 tokens do): not valid URL syntax, but what a user
# writes, and what must never be shown.
_LOOSE_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@:]*:[^\s@]*@")
# scp-like with a password (user:secret@host:path), or a bare user:token@host.
_SCP_PASSWORD = re.compile(r"(?<![\w.:/@-])[\w.-]+:[^\s@/:]+@(?=[\w.-]+[:/])")


def check_remote(url: str, *, allow_credentials: bool = False) -> str:
    """``url`` when git may be handed it as a remote; ValueError saying why not otherwise.

    Accepted: ``https://``, ``http://``, ``ssh://``, ``git://`` and ``file://`` URLs, scp-like
    ``user@host:path``, and local paths. ``allow_credentials`` lets a command-line URL carry
    user info (it is redacted in every message); a config URL never may.
    """
    if not url:
        raise ValueError("must be a git URL, not empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise ValueError("must be a git URL without spaces or control characters")
    if url.startswith("-"):
        raise ValueError(
            f"{redact(url)!r} starts with '-', which git would read as an option, not a repository"
        )
    scheme = _SCHEME.match(url)
    if scheme is None and _HELPER.match(url):
        helper = url.split("::", 1)[0]
        raise ValueError(
            f"{redact(url)!r} names git's remote helper {helper!r}, which runs a program;"
            f" use one of {', '.join(s + '://' for s in SCHEMES)} or user@host:path"
        )
    if scheme is not None and scheme["scheme"].lower() not in SCHEMES:
        raise ValueError(
            f"{redact(url)!r}: the scheme {scheme['scheme']!r} is not one gigrouter publishes"
            f" over ({', '.join(SCHEMES)})"
        )
    if not allow_credentials and credentials_in(url):
        raise ValueError(
            f"{redact(url)!r} carries credentials (user info before '@'), and the config is"
            " rendered into Git: give the URL without them and let git find them (a credential"
            " helper, GIT_ASKPASS, or an SSH key)"
        )
    return url


def credentials_in(url: str) -> bool:
    """Whether ``url`` holds user info that can be a secret: anything before '@' in an http(s)
    URL (a token is often the user name), or a password in any other URL."""
    if _LOOSE_PASSWORD.match(url) or _SCP_PASSWORD.match(url):
        return True
    match = _USERINFO.match(url)
    if match is None:
        return False
    scheme = match["scheme"].lower()
    userinfo = match.group(0)[len(match["scheme"]) : -1]
    return scheme.startswith("http") or ":" in userinfo


def redact(text: str) -> str:
    """``text`` with the user info of every URL in it replaced by ``***``: a password, a token
    used as the user name, a password holding '@'."""
    text = _LOOSE_PASSWORD.sub(r"\g<scheme>***@", text)
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    return _SCP_PASSWORD.sub("***@", text)
