"""Ed25519 keys: making a named pair, signing a manifest, and deciding whom to trust.

The only module that imports ``cryptography``. Keys are named, as Nix names
its binary-cache keys (``team-ci-1``: a number for rotation), and written as
one line ``NAME:BASE64`` — the private file holds the 32-byte seed, the public
one the 32-byte public key. A signature names its key, so a refusal can say
which key signed what this machine does not trust.

Why cryptography and not PyNaCl: it ships wheels for every platform pip
installs on, is already in most Python environments (it comes with paramiko,
requests' security stack, moto…), and is maintained by the PyCA — one library
less to audit.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from acbuild.errors import ConfigError, RemoteError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
KEY_BYTES = 32


class UntrustedManifest(RemoteError):
    """A manifest no trusted key signed (or whose signature does not hold)."""


@dataclass(frozen=True)
class SigningKey:
    """This machine's private key: it signs what ``push`` sends."""

    name: str
    private: Ed25519PrivateKey

    def sign(self, data: bytes) -> dict[str, str]:
        signature = self.private.sign(data)
        return {"key": self.name, "ed25519": base64.b64encode(signature).decode()}

    @property
    def public_line(self) -> str:
        return f"{self.name}:{_b64(self.private.public_key().public_bytes_raw())}"


@dataclass(frozen=True)
class Trust:
    """The public keys this machine trusts, by name; ``unsigned``: the unsafe way out."""

    keys: Mapping[str, Ed25519PublicKey]
    unsigned: bool = False

    def check(self, signatures: Sequence[Any], data: bytes, what: str) -> str | None:
        """The name of the trusted key whose signature over ``data`` holds; None when the
        config trusts unsigned manifests and none holds. Refuses naming the keys seen."""
        seen = []
        for entry in signatures:
            name = entry.get("key") if isinstance(entry, dict) else None
            if not isinstance(name, str):
                continue
            seen.append(name)
            key = self.keys.get(name)
            if key is None:
                continue
            try:
                key.verify(base64.b64decode(str(entry.get("ed25519", "")), validate=True), data)
            except (InvalidSignature, binascii.Error, ValueError):
                raise UntrustedManifest(
                    f"{what}: the signature by key {name!r} does not match its content "
                    "(the manifest was changed after it was signed)") from None
            return name
        if self.unsigned:
            return None
        if not seen:
            raise UntrustedManifest(f"{what} is not signed", hint=_TRUST_HINT)
        raise UntrustedManifest(f"{what} is signed by {', '.join(map(repr, seen))}, "
                                "which is not among remote.trusted_keys", hint=_TRUST_HINT)


_TRUST_HINT = ("list the signer's public key under [remote.trusted_keys] if you trust it "
               "(a result is a pickle: loading it runs code)")


def generate(name: str, directory: Path) -> tuple[Path, Path]:
    """A new key pair ``NAME.key`` (private, mode 0600) and ``NAME.pub`` in ``directory``;
    never overwrites."""
    if not _NAME.match(name):
        raise ConfigError(f"{name!r} is not a key name: letters, digits, '.', '_' and '-'",
                          hint="a name with a number, to rotate it later: team-ci-1")
    private = Ed25519PrivateKey.generate()
    key = SigningKey(name, private)
    secret = directory / f"{name}.key"
    public = directory / f"{name}.pub"
    for path in (secret, public):
        if path.exists():
            raise ConfigError("exists already; not overwritten", where=str(path))
    directory.mkdir(parents=True, exist_ok=True)
    seed = private.private_bytes_raw()
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{name}:{_b64(seed)}\n")
    public.write_text(key.public_line + "\n")
    return secret, public


def load_signing_key(path: Path) -> SigningKey:
    name, raw = _read_line(path.read_text() if path.is_file() else None, str(path), "sign_key")
    return SigningKey(name, Ed25519PrivateKey.from_private_bytes(raw))


def load_trust(trusted: Iterable[tuple[str, str]], root: Path, unsigned: bool) -> Trust:
    """``trusted_keys`` of the config: each value a public key (``BASE64`` or
    ``NAME:BASE64``) or the path of a file holding one (relative to the project root)."""
    keys = {name: Ed25519PublicKey.from_public_bytes(_public_key(name, value, root))
            for name, value in trusted}
    return Trust(keys, unsigned)


def _public_key(name: str, value: str, root: Path) -> bytes:
    named, _, encoded = value.strip().rpartition(":")
    raw, where = _decode(encoded), "remote.trusted_keys"
    if raw is None:  # not a key itself: a file holding one
        path = Path(os.path.expanduser(value))
        path = path if path.is_absolute() else root / path
        where = str(path)
        named, raw = _read_line(path.read_text() if path.is_file() else None, where,
                                f"trusted_keys.{name}")
    if named and named != name:
        # A signature names its key: listed under another name it would never be found.
        raise ConfigError(f"remote.trusted_keys.{name} holds the key named {named!r}",
                          where=where, hint=f"list it as {named} = ...")
    return raw


def _read_line(text: str | None, where: str, role: str) -> tuple[str, bytes]:
    if text is None:
        raise ConfigError(f"the key file of remote.{role} does not exist", where=where,
                          hint="make a pair with: acbuild remote keygen NAME")
    name, sep, encoded = text.strip().partition(":")
    raw = _decode(encoded) if sep else None
    if raw is None or not _NAME.match(name):
        raise ConfigError(f"not a key file (remote.{role}): one line NAME:BASE64 expected",
                          where=where)
    return name, raw


def _decode(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
