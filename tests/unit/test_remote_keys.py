"""Ed25519 keys: a named pair on disk, signatures, and whom a machine trusts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from acbuild.errors import ConfigError  # noqa: E402
from acbuild.remote import keys  # noqa: E402


def test_keygen_writes_a_private_and_a_public_file(tmp_path: Path) -> None:
    secret, public = keys.generate("team-ci-1", tmp_path / "keys")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    key = keys.load_signing_key(secret)
    assert key.name == "team-ci-1"
    assert public.read_text().strip() == key.public_line
    with pytest.raises(ConfigError, match="exists already"):
        keys.generate("team-ci-1", tmp_path / "keys")
    with pytest.raises(ConfigError, match="not a key name"):
        keys.generate("../evil", tmp_path)


def test_a_trusted_signature_holds_and_names_its_key(tmp_path: Path) -> None:
    secret, public = keys.generate("ci", tmp_path)
    key = keys.load_signing_key(secret)
    signature = key.sign(b"manifest bytes")
    for value in (str(public), public.name, public.read_text().strip(),
                  public.read_text().strip().split(":", 1)[1]):
        trust = keys.load_trust([("ci", value)], tmp_path, unsigned=False)
        assert trust.check([signature], b"manifest bytes", "m") == "ci"


def test_an_untrusted_or_missing_signature_is_refused_naming_the_key(tmp_path: Path) -> None:
    stranger = keys.load_signing_key(keys.generate("stranger-1", tmp_path)[0])
    _, ours = keys.generate("ci", tmp_path)
    trust = keys.load_trust([("ci", str(ours))], tmp_path, unsigned=False)
    with pytest.raises(keys.UntrustedManifest, match="'stranger-1'"):
        trust.check([stranger.sign(b"x")], b"x", "the manifest of m-1")
    with pytest.raises(keys.UntrustedManifest, match="not signed"):
        trust.check([], b"x", "the manifest of m-1")
    unsafe = keys.Trust(trust.keys, unsigned=True)
    assert unsafe.check([stranger.sign(b"x")], b"x", "m") is None


def test_a_changed_manifest_breaks_the_signature_even_when_unsigned_is_trusted(
        tmp_path: Path) -> None:
    secret, public = keys.generate("ci", tmp_path)
    signature = keys.load_signing_key(secret).sign(b"the bytes signed")
    trust = keys.load_trust([("ci", str(public))], tmp_path, unsigned=True)
    with pytest.raises(keys.UntrustedManifest, match="does not match"):
        trust.check([signature], b"the bytes changed", "m")


def test_bad_trusted_keys_are_config_errors(tmp_path: Path) -> None:
    _, public = keys.generate("ci", tmp_path)
    with pytest.raises(ConfigError, match="holds the key named 'ci'"):
        keys.load_trust([("other", str(public))], tmp_path, unsigned=False)
    with pytest.raises(ConfigError, match="does not exist"):
        keys.load_trust([("ci", "keys/missing.pub")], tmp_path, unsigned=False)
    (tmp_path / "junk.pub").write_text("not a key\n")
    with pytest.raises(ConfigError, match="not a key file"):
        keys.load_trust([("ci", "junk.pub")], tmp_path, unsigned=False)
