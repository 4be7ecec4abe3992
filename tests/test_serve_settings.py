from pathlib import Path

import pytest

from kpi_rules.serve.settings import Settings, SettingsError, is_loopback, parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("1048576", 1048576), ("1MiB", 1024**2), ("1M", 1024**2), ("100M", 100 * 1024**2), ("2GiB", 2 * 1024**3),
    ("2G", 2 * 1024**3), ("512K", 512 * 1024), ("512KiB", 512 * 1024), ("1mib", 1024**2), ("10B", 10),
])
def test_sizes_are_binary_with_or_without_ib(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "1.5M", "-1", "0", "1T", "1 MBB", "ten"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(SettingsError):
        parse_size(text)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("192.168.1.5", False), ("::", False), ("example.org", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_tokens_binds_only_to_loopback() -> None:
    Settings(host="127.0.0.1").check()
    with pytest.raises(SettingsError, match="without --tokens"):
        Settings(host="0.0.0.0").check()
    Settings(host="0.0.0.0", tokens_file=Path("tokens.yaml")).check()


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(("changes", "message"), [
    ({"workers": 0}, "--workers 0: from 1 to 64"), ({"workers": 65}, "--workers 65: from 1 to 64"),
    ({"keep_evaluations": 0}, "--keep-evaluations 0: each worker keeps at least 1"),
])
def test_workers_and_evaluations_kept_are_checked(changes: dict[str, int], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings(**changes).check()  # type: ignore[arg-type]
    Settings(workers=1, keep_evaluations=1).check()
    Settings(workers=64, keep_evaluations=50).check()
