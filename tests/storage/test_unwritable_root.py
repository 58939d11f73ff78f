"""A data root that cannot be created or written is refused at start, naming the folder and the cause.

Each cause is made for real: a file where the folder should be, a read-only
tmpfs (mounted for the test: skipped where mounting is not allowed, unless
``CI`` is set), and a folder the writer may not write, with the writer in a
process that lacks root's ``CAP_DAC_OVERRIDE`` (``setpriv``), so modes bind it as
they bind the ``brain`` user on the Pi.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from brain.storage import DataRootUnwritableError, DatasetWriter, DiskError, StorageSettings
from brain.storage.errors import disk_error
from tests.conftest import PROJECT_ROOT
from tests.factories import T0, observation
from tests.reliability.drill import mounted_tmpfs


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "mnt", "size=1m") as mount_point:
        yield mount_point


def test_a_file_in_place_of_a_parent_folder_is_refused_as_permanent(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file")
    with pytest.raises(DataRootUnwritableError) as refused:
        DatasetWriter(tmp_path / "var" / "lib" / "data", StorageSettings())
    assert refused.value.path == tmp_path / "var" and refused.value.permanent
    assert "a file is in its place" in str(refused.value)


def test_a_file_system_gone_read_only_is_refused_as_permanent(small_tmpfs: Path) -> None:
    data_root = small_tmpfs / "data"
    writer = DatasetWriter(data_root, StorageSettings())
    writer.write("observations", observation(T0))
    writer.close()
    remount = subprocess.run(
        ["mount", "-o", "remount,ro", str(small_tmpfs)], capture_output=True, text=True, check=False
    )
    assert remount.returncode == 0, remount.stderr
    with pytest.raises(DataRootUnwritableError) as refused:
        DatasetWriter(data_root, StorageSettings())
    assert refused.value.errno == errno.EROFS and refused.value.permanent
    assert str(data_root) in str(refused.value) and "read-only" in str(refused.value)
    with pytest.raises(DataRootUnwritableError, match="read-only") as new_root:
        DatasetWriter(small_tmpfs / "new", StorageSettings())  # a root it would have to create
    assert new_root.value.path == small_tmpfs / "new"


UNPRIVILEGED = """
import sys
from pathlib import Path
from brain.storage import DataRootUnwritableError, DatasetWriter, StorageSettings
try:
    DatasetWriter(Path(sys.argv[1]), StorageSettings())
except DataRootUnwritableError as exc:
    print(exc.errno, exc.permanent, exc.path, str(exc), sep="|")
    sys.exit(73)
"""


def without_permission_bypass() -> list[str]:
    """A command prefix that drops root's permission bypass; skip when that cannot be arranged."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        return []
    if setpriv is None:
        pytest.skip("running as root without setpriv: root writes anywhere, so the case would prove nothing")
    caps = "-dac_override,-dac_read_search"
    prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]
    if subprocess.run([*prefix, "true"], check=False).returncode != 0:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here: root writes anywhere, the case would prove nothing")
    return prefix


@pytest.mark.parametrize("case", ["existing root", "root to create"])
def test_a_folder_not_permitted_is_refused_as_permanent(tmp_path: Path, case: str) -> None:
    prefix = without_permission_bypass()
    parent = tmp_path / "locked"
    parent.mkdir()
    data_root = parent / "data"
    if case == "existing root":
        data_root.mkdir()
        data_root.chmod(0o555)
    else:
        parent.chmod(0o555)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-c", UNPRIVILEGED, str(data_root)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        parent.chmod(0o755)
    assert result.returncode == 73, result.stdout + result.stderr
    code, permanent, path, message = result.stdout.strip().split("|")
    assert int(code) == errno.EACCES and permanent == "True" and path == str(data_root)
    assert "permission denied" in message
    assert not list(data_root.glob("run_*"))


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        (errno.ENOSPC, False),
        (errno.EDQUOT, False),
        (errno.EIO, False),
        (errno.EACCES, True),
        (errno.EPERM, True),
        (errno.EROFS, True),
        (errno.ENOTDIR, True),
        (errno.EEXIST, True),
    ],
)
def test_permanent_causes_are_told_from_transient_ones(code: int, permanent: bool) -> None:
    error: DiskError = disk_error(Path("/data/x"), OSError(code, os.strerror(code)), "write")
    assert error.permanent is permanent
