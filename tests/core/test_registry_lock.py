"""The writers' lock itself: exclusive across processes, re-entrant in a thread, threads in turn.

The lock keeps its descriptor open between holds, so the cases that a per-hold open never met
are here too: the lock file replaced or removed under the kept descriptor, a fork while the
parent holds (or has held) it, and a holder killed with SIGKILL. Every exclusion check asks a
second holder with a short timeout and expects `LockTimeout`.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modelreg import LockTimeout, StorageError
from modelreg._locking import RegistryLock

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX processes")

_HOLDER = (
    "import sys\n"
    "from pathlib import Path\n"
    "from modelreg._locking import RegistryLock\n"
    "with RegistryLock(Path(sys.argv[1]), 30).hold():\n"
    "    print('held', flush=True)\n"
    "    sys.stdin.readline()\n"
)


@contextmanager
def held_elsewhere(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        proc.wait(timeout=60)


def taken(path: Path, timeout: float = 0.2) -> bool:
    """Whether a new holder (a fresh RegistryLock, as a second Registry would make) gets it."""
    try:
        with RegistryLock(path, timeout).hold():
            return True
    except LockTimeout:
        return False


def test_another_process_holding_it_times_out_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with (
        held_elsewhere(path),
        pytest.raises(LockTimeout) as caught,
        RegistryLock(path, 0.2).hold(),
    ):
        pytest.fail("held by two processes at once")
    message = str(caught.value)
    assert f"could not take the registry lock {path} within 0.2s" in message
    assert "another process is writing" in message and "raise lock_timeout" in message
    assert caught.value.path == str(path) and caught.value.timeout == 0.2
    assert taken(path), "released when the other process let go"


_TRY_ONCE = (
    "import sys\nfrom pathlib import Path\nfrom modelreg import LockTimeout\n"
    "from modelreg._locking import RegistryLock\n"
    "try:\n    RegistryLock(Path(sys.argv[1]), 0.2).hold().__enter__()\n"
    "except LockTimeout:\n    sys.exit(3)\n"
)


def another_process_gets_it(path: Path) -> bool:
    proc = subprocess.run([sys.executable, "-c", _TRY_ONCE, str(path)], timeout=60)
    assert proc.returncode in (0, 3)
    return proc.returncode == 0


def test_this_process_holding_it_keeps_other_processes_out(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    lock = RegistryLock(path, 5)
    for _ in range(2):  # the second hold reuses the kept descriptor
        with lock.hold():
            assert not another_process_gets_it(path)
        assert another_process_gets_it(path)


def test_a_killed_holder_frees_it(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with held_elsewhere(path) as holder:
        assert not taken(path)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        assert taken(path, timeout=5), "the lock outlived its killed holder"
    assert path.exists()


def test_nested_holds_keep_it_until_the_outer_one_ends(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    outer, inner = RegistryLock(path, 5), RegistryLock(path, 5)  # two Registry objects
    with outer.hold():
        with inner.hold(), outer.hold():
            pass
        assert not _taken_by_a_thread(path), "the inner hold's end released the outer one"
    assert _taken_by_a_thread(path)


def _taken_by_a_thread(path: Path) -> bool:
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(taken(path)))
    thread.start()
    thread.join(timeout=60)
    return result == [True]


def test_threads_wait_for_each_other_and_say_so(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with RegistryLock(path, 5).hold():
        failed: list[BaseException] = []

        def try_it() -> None:
            try:
                with RegistryLock(path, 0.1).hold():
                    pass
            except LockTimeout as exc:
                failed.append(exc)

        thread = threading.Thread(target=try_it)
        thread.start()
        thread.join(timeout=60)
    assert len(failed) == 1 and "another thread of this process is writing" in str(failed[0])

    inside, most = [0], [0]

    def count() -> None:
        for _ in range(200):
            with RegistryLock(path, 30).hold():
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                inside[0] -= 1

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert most == [1]


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_a_lock_file_changed_under_the_kept_descriptor_is_reopened(
    tmp_path: Path, change: str
) -> None:
    """The kept descriptor names the old file; the lock that counts is on the file at the path."""
    path = tmp_path / ".lock"
    lock = RegistryLock(path, 5)
    with lock.hold():
        pass
    if change == "replaced":
        (tmp_path / "new").write_bytes(b"")
        os.replace(tmp_path / "new", path)
    else:
        path.unlink()
    with held_elsewhere(path):
        assert not taken(path), "locked the old file while another process held the new one"
    with lock.hold():
        assert path.exists() and not another_process_gets_it(path)


def _child_takes_it(path: Path) -> bool:
    """Fork; whether the child gets the lock within a short timeout."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 1
        try:
            code = 0 if taken(path) else 3
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    assert code in (0, 3)
    return code == 0


def test_a_child_forked_during_a_hold_does_not_hold_it(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with RegistryLock(path, 5).hold():
        assert not _child_takes_it(path), "the child took its parent's hold as its own"
    assert _child_takes_it(path)


def test_a_child_does_not_share_the_parents_kept_descriptor(tmp_path: Path) -> None:
    """flock belongs to the open file: a child locking the inherited one would let both in."""
    path = tmp_path / ".lock"
    lock = RegistryLock(path, 5)
    with lock.hold():
        pass
    read, write = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            with RegistryLock(path, 5).hold():
                os.write(write, b"held")
                os.read(go_read, 1)
        finally:
            os._exit(0)
    try:
        assert os.read(read, 4) == b"held"
        assert not taken(path), "parent and child held it at once"
    finally:
        os.write(go_write, b"x")
        os.waitpid(pid, 0)
        for fd in (read, write, go_read, go_write):
            os.close(fd)
    with lock.hold():
        pass


def test_without_flock_on_the_folder_filelock_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filesystem answering ENOSYS to flock: FileLock (with its soft fallback) does the work."""
    from modelreg import _locking

    def no_flock(fd: int, *, blocking: bool = True) -> bool:
        raise OSError(errno.ENOSYS, "flock not supported")

    monkeypatch.setattr(_locking, "lock_descriptor", no_flock)
    path = tmp_path / ".lock"
    with RegistryLock(path, 5).hold():
        assert not another_process_gets_it(path)
    assert another_process_gets_it(path)


def _descriptors_on(path: Path) -> int:
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists descriptors by /proc")
def test_the_descriptor_is_kept_while_a_lock_on_its_path_lives(tmp_path: Path) -> None:
    """Kept between holds, shared by the locks on one path, closed when the last one goes."""
    path = tmp_path / ".lock"
    first, second = RegistryLock(path, 5), RegistryLock(path, 5)
    for lock in (first, second, first):
        with lock.hold():
            pass
    assert _descriptors_on(path) == 1
    del first
    assert _descriptors_on(path) == 1
    del second, lock
    assert _descriptors_on(path) == 0


def test_a_lock_file_that_is_a_link_is_refused_not_followed(tmp_path: Path) -> None:
    """Whoever can write the registry folder must not make a writer create or lock a file
    elsewhere: the lock file is opened without following a link, and a link is an error."""
    target = tmp_path / "elsewhere" / "not-created"
    target.parent.mkdir()
    lock_path = tmp_path / ".lock"
    lock_path.symlink_to(target)
    with pytest.raises(StorageError, match="registry lock"), RegistryLock(lock_path, 1).hold():
        pass
    assert not target.exists()
    assert lock_path.is_symlink()
