"""``diaphane data``: listing where the archives are, fetching them, failing in one line."""

import hashlib
import urllib.error
import zipfile

import pytest

import diaphane.cli as cli
from diaphane.text import fetch


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A file: URL standing in for nltk_data, holding a small inaugural.zip."""
    buf = tmp_path / "served" / "inaugural.zip"
    buf.parent.mkdir()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inaugural/2099-Someone.txt", "We meet today.")
    monkeypatch.setattr(fetch, "NLTK_URL", buf.parent.as_uri() + "/{name}.zip")
    monkeypatch.setitem(
        fetch.KNOWN_SHA256, "inaugural", hashlib.sha256(buf.read_bytes()).hexdigest()
    )
    monkeypatch.setenv("DIAPHANE_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("DIAPHANE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DIAPHANE_OFFLINE")
    return tmp_path / "home" / "nltk" / "inaugural.zip"


def test_fetch_downloads_then_finds_it(served, capsys):
    assert cli.main(["data", "fetch", "inaugural"]) == 0
    assert served.is_file() and f"fetched to {served}" in capsys.readouterr().out
    assert cli.main(["data", "fetch", "inaugural"]) == 0
    assert f"already at {served}" in capsys.readouterr().out
    assert cli.main(["data", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"inaugural      {served}" in listing and "brown          missing" in listing


def test_fetch_without_network_is_one_line(served, monkeypatch, capsys):
    def no_network(url):
        raise urllib.error.URLError(OSError(-2, "Name or service not known"))

    monkeypatch.setattr(fetch, "NLTK_URL", "https://example.org/{name}.zip")
    monkeypatch.setattr(fetch, "_urlopen", no_network)  # the test never reaches a network
    assert cli.main(["data", "fetch", "inaugural"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "downloading it failed" in err and "DIAPHANE_DATA" in err
    assert not served.exists()


def test_fetch_offline_and_unknown_names(served, monkeypatch, capsys):
    monkeypatch.setenv("DIAPHANE_OFFLINE", "1")
    assert cli.main(["data", "fetch", "inaugural"]) == 2
    assert "DIAPHANE_OFFLINE=1 forbids" in capsys.readouterr().err
    assert cli.main(["data", "fetch", "wikipedia"]) == 2
    assert "unknown archive 'wikipedia'" in capsys.readouterr().err
